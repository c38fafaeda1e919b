/** TENSOR's protocol: the single source of its message schemas, replies, rejections and access classes. */
import { Schema } from "effect"
import { COMPRESS_ERRORS } from "../../compress/Errors.ts"
import * as Protocol from "../../runtime/Protocol.ts"
import { LeaseConflict } from "../arbiter/messages.ts"
import { AbsolutePath } from "../shared/fields.ts"
import { DependencyFailed } from "../shared/rejections.ts"

const Codec = Schema.Literals(["store", "zstd", "brotli", "gzip"])
const Bytes = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

const BlockCounts = Schema.Struct({
  total: Schema.Int,
  /** Blocks written compressed. */
  encoded: Schema.Int,
  /** Blocks written as they were: the codec is "store", the block looked random, or compressing did not shrink it. */
  raw: Schema.Int
})

const Detection = Schema.Struct({
  /** The format: "png", "zip", "json", "log", "elf", … or "unknown". */
  format: Schema.String,
  kind: Schema.Literals(["empty", "already-compressed", "text", "high-entropy", "other"]),
  /** For people: "PNG image", "JSON text". */
  label: Schema.String,
  /** Shannon entropy of the sample's byte histogram, in bits per byte (0–8). */
  entropy: Schema.Finite,
  /** What the judgement rests on: "magic 89 50 4E 47", "valid UTF-8, 0 control bytes, lines start with '{'". */
  evidence: Schema.String
})

const Strategy = Schema.Struct({
  detected: Schema.String,
  /** The `kind` of the rule that matched, "override" when the caller named the codec, "fallback" when no rule matched. */
  rule: Schema.String,
  codec: Codec,
  level: Schema.Int,
  reason: Schema.String
})

export const Compressed = Schema.Struct({
  output: Schema.String,
  detection: Detection,
  strategy: Strategy,
  /** Which implementation the codec used here, e.g. "node:zlib (native)". */
  implementation: Schema.String,
  originalBytes: Bytes,
  compressedBytes: Bytes,
  /** originalBytes / compressedBytes: above 1 when the output is smaller. */
  ratio: Schema.Finite,
  seconds: Schema.Finite,
  blocks: BlockCounts
})

export const Decompressed = Schema.Struct({
  output: Schema.String,
  codec: Codec,
  level: Schema.Int,
  blockSize: Schema.Int,
  originalBytes: Bytes,
  compressedBytes: Bytes,
  seconds: Schema.Finite,
  blocks: BlockCounts
})

export const Estimated = Schema.Struct({
  path: Schema.String,
  files: Bytes,
  totalBytes: Bytes,
  sampledBytes: Bytes,
  sampledFiles: Bytes,
  /** Runs of adjacent 1 MiB slots read. */
  segments: Bytes,
  seed: Bytes,
  /** The whole path was read: the compression figure is what `compress` gives, file by file. */
  exact: Schema.Boolean,
  compression: Schema.Struct({
    /** original / compressed, as `compress` would report it over every file (container included). */
    ratio: Schema.Finite,
    /** A 95 % interval from the spread between segments; the ratio itself when exact. */
    low: Schema.Finite,
    high: Schema.Finite,
    estimatedBytes: Bytes,
    /** Sampled bytes by the codec the strategy chose for their file. */
    byCodec: Schema.Record(Schema.String, Schema.Finite)
  }),
  dedup: Schema.Struct({
    /** Sampled bytes / bytes of distinct chunks (the store's FastCDC chunker): a lower bound when sampled. */
    ratio: Schema.Finite,
    chunks: Bytes,
    uniqueChunks: Bytes
  }),
  /** The chunk store: distinct chunks compressed with its per-chunk strategy (pack overhead left out). */
  store: Schema.Struct({ ratio: Schema.Finite, estimatedBytes: Bytes }),
  seconds: Schema.Finite,
  /** How far to trust it: what was sampled, what sampling cannot see. */
  notes: Schema.Array(Schema.String)
})

export const Job = Schema.Struct({
  job: Schema.String,
  startedAt: Schema.String,
  seconds: Schema.Finite,
  outcome: Schema.Literals(["done", "failed"]),
  /** The result of a job that was done; why a failed one failed. */
  detail: Schema.Union([Compressed, Decompressed, Estimated, Schema.String])
})
export type Job = typeof Job.Type

export class NoDefaultOutput extends Schema.TaggedError<NoDefaultOutput>()("NoDefaultOutput", {
  input: Schema.String,
  suffix: Schema.String
}) {
  override get message() {
    return `${this.input} does not end in ${this.suffix}: give "output"`
  }
}

export const Tensor = Protocol.make("TENSOR", [
  Protocol.message("compress", {
    doc: "compresses `input` to `output` (default input + \".svz\"), the codec chosen from the content unless `codec` is given; holds compression leases on both paths",
    access: "operate",
    fields: {
      input: AbsolutePath,
      output: Schema.optionalKey(AbsolutePath),
      codec: Schema.optionalKey(Codec),
      level: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 22 })))
    },
    reply: Compressed,
    rejections: [LeaseConflict, DependencyFailed, ...COMPRESS_ERRORS]
  }),
  Protocol.message("decompress", {
    doc: "decompresses `input` to `output` (default input without \".svz\"), verifying size and SHA-256",
    access: "operate",
    fields: { input: AbsolutePath, output: Schema.optionalKey(AbsolutePath) },
    reply: Decompressed,
    rejections: [NoDefaultOutput, LeaseConflict, DependencyFailed, ...COMPRESS_ERRORS]
  }),
  Protocol.message("estimate", {
    doc: "the compression, dedup and stored ratios of a file or a tree, from a bounded deterministic sample (64 MiB unless `sampleMiB`)",
    access: "operate",
    fields: {
      path: AbsolutePath,
      sampleMiB: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 4096 }))),
      seed: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 2 ** 31 - 1 })))
    },
    reply: Estimated,
    rejections: COMPRESS_ERRORS
  }),
  Protocol.message("jobs", {
    doc: "the last jobs: what, how long, the outcome",
    access: "read",
    reply: Schema.Array(Job)
  })
])
