/**
 * TENSOR's single-file compression: the public API. A file's first block
 * says what it holds (Detect.ts), the strategy table picks a codec and level
 * (Strategy.ts), and the data is written in independently compressed blocks
 * with a trailer holding the original size and SHA-256 (Container.ts,
 * docs/compression-format.md).
 *
 * Both directions stream with constant memory: a few blocks in flight,
 * compressed on the runtime's thread pool in parallel and written in order.
 * `decompress` checks every block's CRC-32 before handing it out and the
 * whole file's size and SHA-256 at the end, so a stream consumer must
 * discard the output on failure; `decompressFile` does that for you: a file
 * output appears, by rename, only when everything verified.
 */
import { Clock, Effect } from "effect"
import { type FileError, type Files, type Writer, writerFrom } from "../adapters/fs/Files.ts"
import { type ByteReader, type ByteSource, fileByteReader, iterableSource, makeByteReader } from "../fileio/ByteReader.ts"
import { openInput, type Streams, withOutput } from "../fileio/Edges.ts"
import { type Codec, checkCodec, checkLevel, decodeWith, encodeWith, implementations, levelProblem } from "./Codecs.ts"
import {
  BlockKind,
  type DataRecord,
  encodeEnd,
  encodeHeader,
  encodeRecord,
  END_BYTES,
  type EndRecord,
  type Header,
  MAX_BLOCK_SIZE,
  MIN_BLOCK_SIZE,
  readHeader,
  readRecord,
  RECORD_BYTES
} from "./Container.ts"
import { type Detection, detect, HIGH_ENTROPY_BITS, sampledEntropy } from "./Detect.ts"
import {
  CompressedBlockCorrupt,
  CompressedChecksumMismatch,
  CompressedSizeMismatch,
  CompressedTrailingData,
  type CompressError,
  type CompressionCodecFailed,
  CompressOutputExists,
  type DecompressError,
  InvalidCompressOption
} from "./Errors.ts"
import { crc32 } from "./internal/crc32.ts"
import { inOrder } from "./internal/inOrder.ts"
import { sha256 } from "./internal/sha256.ts"
import { chooseStrategy, DEFAULT_STRATEGY, type Strategy, type StrategyTable, tableProblem } from "./Strategy.ts"

export { type Codec, CODEC_NAMES, CODECS, compressBytes, decompressBytes, implementations, isCodec } from "./Codecs.ts"
export { MAX_BLOCK_SIZE, MIN_BLOCK_SIZE } from "./Container.ts"
export { type Detection, detect, type Kind, SIGNATURES } from "./Detect.ts"
export { chooseStrategy, DEFAULT_STRATEGY, type Strategy, type StrategyRule, type StrategyTable } from "./Strategy.ts"

/**
 * Original bytes per block when the caller does not choose. Larger blocks
 * compress a little better: zstd 3 on the text of bench/compress gives 5.32
 * in 2 MiB blocks, 5.44 in 4 MiB (`zstd -3` on whole files: 5.43), 5.45 in
 * 8 MiB; executables 2.576, 2.586, 2.589 (`zstd -3`: 2.569). Memory is about
 * (concurrency + 1) × 2 blocks.
 */
export const DEFAULT_BLOCK_SIZE = 4 * 1024 * 1024

/**
 * Blocks (de)compressed at once by default: the cores, at most 4. The count
 * comes from the web platform's navigator (Bun has it; Node 20, where the
 * unit tests run, does not and gets 4), so compression needs no node:os.
 */
export const defaultConcurrency = (): number => Math.max(1, Math.min(4, globalThis.navigator?.hardwareConcurrency ?? 4))

/** Fills a block from the input: fewer bytes than its length only at the end of the input. */
type ReadInto = (block: Uint8Array) => Effect.Effect<number, FileError>

export interface CompressOptions {
  /** Use this codec whatever the input is (at `level`, or the codec's default level). */
  readonly codec?: Codec
  /** The level for the codec the strategy chooses (or for `codec`); ignored when the strategy stores. */
  readonly level?: number
  /** The strategy table; `DEFAULT_STRATEGY` if absent. */
  readonly table?: StrategyTable
  /**
   * Original bytes per block: a power of two from 64 KiB to 16 MiB. If
   * absent, `DEFAULT_BLOCK_SIZE`, or down to 1 MiB for a file of only a few
   * blocks (`blockSizeFor`).
   */
  readonly blockSize?: number
  /** Blocks compressed at once (1–64); `defaultConcurrency()` if absent. */
  readonly concurrency?: number
  /**
   * Data with at least this entropy (bits per byte) is stored: a whole file
   * whose first block is unrecognised, and any single block. 7.5 if absent.
   */
  readonly highEntropyBits?: number
  /** Called after each block is written, with the input bytes consumed so far. */
  readonly onProgress?: (bytesIn: number) => void
  /**
   * Asked once the content is known, when the caller fixed neither codec nor
   * level and the strategy compresses: a level for the strategy's codec
   * instead of the table's (TENSOR asks NEURAL's tuning). Undefined, or a
   * level the codec does not take, keeps the table's level.
   */
  readonly chooseLevel?: (context: LevelContext) => Effect.Effect<{ readonly level: number; readonly why: string } | undefined>
}

export interface LevelContext {
  readonly detection: Detection
  readonly strategy: Strategy
  /** The input's size, when it is a file. */
  readonly size: number | undefined
}

export interface DecompressOptions {
  /** Blocks decompressed at once (1–64); `defaultConcurrency()` if absent. */
  readonly concurrency?: number
  /** Called after each verified block is written, with the compressed bytes consumed so far. */
  readonly onProgress?: (bytesIn: number) => void
}

/**
 * Files are read and written through the Files port (a command provides its
 * blocking implementation, the daemon the asynchronous one; the codecs run on
 * the thread pool either way). "-" reads `stdin` and writes `stdout`, which
 * only a command hands in (src/adapters/fs/StdioLive.ts); without them "-"
 * is refused.
 */
export interface FileOptions extends Streams {
  /** Replace an existing output file. Without it, `CompressOutputExists`. */
  readonly force?: boolean
}

export interface BlockCounts {
  readonly total: number
  /** Blocks written compressed. */
  readonly encoded: number
  /** Blocks written as they were: the codec is "store", the block looked random, or compressing did not shrink it. */
  readonly raw: number
}

export interface CompressResult {
  readonly detection: Detection
  /** What was chosen and why. */
  readonly strategy: Strategy
  /** Which implementation the codec used here, e.g. "Bun (native)". */
  readonly implementation: string
  readonly originalBytes: number
  /** The whole compressed file: header, blocks and end record. */
  readonly compressedBytes: number
  /** originalBytes / compressedBytes: above 1 when the output is smaller. */
  readonly ratio: number
  readonly seconds: number
  readonly blocks: BlockCounts
}

export interface DecompressResult {
  readonly codec: Codec
  readonly level: number
  readonly blockSize: number
  readonly originalBytes: number
  readonly compressedBytes: number
  readonly seconds: number
  readonly blocks: BlockCounts
}

export type { CompressError, DecompressError } from "./Errors.ts"

const STREAM_INPUT = "the input stream"
const STREAM_OUTPUT = "the output stream"

interface Plan {
  readonly table: StrategyTable
  readonly codec: Codec | undefined
  readonly level: number | undefined
  /** The caller's block size; undefined: `blockSizeFor` the input. */
  readonly blockSize: number | undefined
  readonly concurrency: number
  readonly highEntropyBits: number
  readonly onProgress: (bytesIn: number) => void
  readonly chooseLevel: CompressOptions["chooseLevel"]
}

const invalid = (option: string, reason: string) => Effect.fail(new InvalidCompressOption({ option, reason }))

const checkConcurrency = (concurrency: number | undefined): Effect.Effect<number, InvalidCompressOption> =>
  concurrency === undefined
    ? Effect.succeed(defaultConcurrency())
    : Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 64
    ? Effect.succeed(concurrency)
    : invalid("concurrency", `${concurrency} is not a whole number from 1 to 64`)

/** Checks every option before any input is read or output created. */
const planCompression = (options: CompressOptions): Effect.Effect<Plan, InvalidCompressOption> =>
  Effect.gen(function*() {
    const table = options.table ?? DEFAULT_STRATEGY
    const problem = tableProblem(table)
    if (problem !== undefined) return yield* invalid("strategy table", problem)
    const codec = options.codec === undefined ? undefined : yield* checkCodec(options.codec)
    if (codec !== undefined && options.level !== undefined) yield* checkLevel(codec, options.level)
    if (codec === undefined && options.level !== undefined) {
      // The rule is known only once the input is read: the level must suit every codec the table may pick.
      for (const rule of table) {
        if (rule.codec === "store") continue
        const wrong = levelProblem(rule.codec, options.level)
        if (wrong !== undefined) return yield* invalid("level", `${wrong} (the strategy table's rule for ${JSON.stringify(rule.kind)} uses ${rule.codec})`)
      }
    }
    const blockSize = options.blockSize
    if (blockSize !== undefined && (!Number.isInteger(Math.log2(blockSize)) || blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE)) {
      return yield* invalid("block size", `${blockSize} is not a power of two from ${MIN_BLOCK_SIZE} to ${MAX_BLOCK_SIZE} (64 KiB – 16 MiB)`)
    }
    const highEntropyBits = options.highEntropyBits ?? HIGH_ENTROPY_BITS
    if (!(highEntropyBits >= 0 && highEntropyBits <= 8.5)) return yield* invalid("high-entropy threshold", `${highEntropyBits} is not a number of bits per byte from 0 to 8.5`)
    return {
      table,
      codec,
      level: options.level,
      blockSize,
      concurrency: yield* checkConcurrency(options.concurrency),
      highEntropyBits,
      onProgress: options.onProgress ?? (() => {}),
      chooseLevel: options.chooseLevel
    }
  })

interface EncodedBlock {
  readonly raw: boolean
  readonly original: Uint8Array
  readonly crc: number
  readonly stored: Uint8Array
  /** The buffer to hand back to the pool once written. */
  readonly buffer: Uint8Array
}

/** One block through the codec, kept raw when it looks random or would not shrink. */
const encodeBlock = (strategy: Strategy, highEntropyBits: number, block: Uint8Array, buffer: Uint8Array): Effect.Effect<EncodedBlock, CompressionCodecFailed> => {
  const crc = crc32(block)
  const raw: EncodedBlock = { raw: true, original: block, crc, stored: block, buffer }
  if (strategy.codec === "store" || sampledEntropy(block) >= highEntropyBits) return Effect.succeed(raw)
  return Effect.map(encodeWith(strategy.codec, strategy.level, block), (stored) =>
    stored.byteLength < block.byteLength ? { ...raw, raw: false, stored } : raw)
}

/**
 * Block buffers kept between files: a fresh 4 MiB buffer costs its page
 * faults on first use, which was a tenth of the time of storing
 * already-compressed files. At most a few are kept, of the sizes in use.
 */
const spareBuffers = (() => {
  const spare: Array<Uint8Array> = []
  const KEEP = 8
  return {
    take: (size: number): Uint8Array => {
      const index = spare.findIndex((buffer) => buffer.byteLength === size)
      return index === -1 ? new Uint8Array(size) : spare.splice(index, 1)[0]!
    },
    give: (buffer: Uint8Array): void => {
      if (spare.length < KEEP) spare.push(buffer)
    }
  }
})()

const elapsedSince = (startMs: number): Effect.Effect<number> =>
  Effect.map(Clock.currentTimeMillis, (now) => Math.max(0, now - startMs) / 1000)

/** Below this, a file is not split further to give every core a block: smaller blocks compress worse. */
const MIN_SPLIT_BLOCK_SIZE = 1024 * 1024

/**
 * The block size for an input of `size` bytes (undefined: unknown, a
 * stream): `DEFAULT_BLOCK_SIZE`, halved while that leaves fewer blocks than
 * `concurrency` and stays at least 1 MiB, so a file of a few megabytes is
 * still compressed on every core (measured: 1 MiB blocks cost executables
 * about 0.7% of ratio against 2 MiB, 2 MiB 0.4% against 4 MiB).
 */
export const blockSizeFor = (size: number | undefined, concurrency: number): number => {
  let blockSize = DEFAULT_BLOCK_SIZE
  if (size === undefined) return blockSize
  while (blockSize > MIN_SPLIT_BLOCK_SIZE && Math.ceil(size / blockSize) < concurrency) blockSize /= 2
  return blockSize
}

/** The strategy with the level `plan.chooseLevel` gives, when the caller fixed neither codec nor level. */
const tunedLevel = (strategy: Strategy, detection: Detection, size: number | undefined, plan: Plan): Effect.Effect<Strategy> => {
  if (plan.chooseLevel === undefined || plan.codec !== undefined || plan.level !== undefined || strategy.codec === "store") return Effect.succeed(strategy)
  return Effect.map(plan.chooseLevel({ detection, strategy, size }), (chosen) =>
    chosen === undefined || levelProblem(strategy.codec, chosen.level) !== undefined
      ? strategy
      : { ...strategy, level: chosen.level, reason: `${strategy.reason}; ${chosen.why}` })
}

const compressWith = (
  readInto: ReadInto,
  size: number | undefined,
  write: Writer,
  plan: Plan
): Effect.Effect<CompressResult, CompressionCodecFailed | FileError> =>
  Effect.gen(function*() {
    const started = yield* Clock.currentTimeMillis
    const blockSize = plan.blockSize ?? blockSizeFor(size, plan.concurrency)
    // Buffers for blocks in flight: one being read, `concurrency` being compressed, and the one being written.
    const pool: Array<Uint8Array> = []
    const take = () => pool.pop() ?? spareBuffers.take(blockSize)
    const firstBuffer = take()
    let first: Uint8Array | undefined = firstBuffer.subarray(0, yield* readInto(firstBuffer))
    const detection = detect(first, { highEntropyBits: plan.highEntropyBits })
    const overrides = { ...(plan.codec === undefined ? {} : { codec: plan.codec }), ...(plan.level === undefined ? {} : { level: plan.level }) }
    const strategy = yield* tunedLevel(chooseStrategy(detection, plan.table, overrides), detection, size, plan)
    const header = encodeHeader(strategy.codec, strategy.level, blockSize)
    yield* write(header)
    const hash = sha256()
    let ended = false
    let originalBytes = 0
    let compressedBytes = header.byteLength
    let encoded = 0
    let total = 0
    // Hands out the next block's job as soon as it is read; hashing and writing wait for `finish`, in order.
    const next = Effect.gen(function*() {
      if (ended) return undefined
      const buffer = first === undefined ? take() : firstBuffer
      const block = first ?? buffer.subarray(0, yield* readInto(buffer))
      first = undefined
      // A short block is the last; a full one may be too, which the next read tells.
      if (block.byteLength < blockSize) ended = true
      if (block.byteLength === 0) {
        pool.push(buffer)
        return undefined
      }
      return encodeBlock(strategy, plan.highEntropyBits, block, buffer)
    })
    yield* inOrder(plan.concurrency, next, (done) =>
      Effect.gen(function*() {
        hash.update(done.original)
        yield* write(encodeRecord(done.raw ? BlockKind.raw : BlockKind.encoded, done.original.byteLength, done.stored.byteLength, done.crc))
        yield* write(done.stored)
        pool.push(done.buffer)
        total++
        if (!done.raw) encoded++
        originalBytes += done.original.byteLength
        compressedBytes += RECORD_BYTES + done.stored.byteLength
        plan.onProgress(originalBytes)
      }))
    for (const buffer of pool) spareBuffers.give(buffer)
    const end = encodeEnd(originalBytes, hash.digest())
    yield* write(end)
    compressedBytes += end.byteLength
    return {
      detection,
      strategy,
      implementation: implementations()[strategy.codec],
      originalBytes,
      compressedBytes,
      ratio: originalBytes / compressedBytes,
      seconds: yield* elapsedSince(started),
      blocks: { total, encoded, raw: total - encoded }
    }
  })

/** One record's data through the codec, checked against its length and CRC-32. */
const decodeBlock = (header: Header, record: DataRecord): Effect.Effect<Uint8Array, CompressedBlockCorrupt> => {
  const corrupt = (reason: string) => new CompressedBlockCorrupt({ block: record.index, offset: record.offset, reason })
  const decoded = record.raw
    ? Effect.succeed(record.stored)
    : Effect.mapError(decodeWith(header.codec, record.stored, record.originalLength), (error) =>
      corrupt(`its data does not decode as ${header.codec}: ${error.reason}`))
  return Effect.flatMap(decoded, (original) => {
    const crc = crc32(original)
    return crc === record.crc
      ? Effect.succeed(original)
      : Effect.fail(corrupt(`the CRC-32 of its ${record.raw ? "raw" : "decompressed"} bytes is ${hex32(crc)}, its record says ${hex32(record.crc)}`))
  })
}

const hex32 = (n: number): string => n.toString(16).padStart(8, "0")
const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")

const decompressWith = (
  reader: ByteReader,
  write: Writer,
  options: { readonly concurrency: number; readonly onProgress: (bytesIn: number) => void }
): Effect.Effect<DecompressResult, DecompressError> =>
  Effect.gen(function*() {
    const started = yield* Clock.currentTimeMillis
    const header = yield* readHeader(reader)
    const hash = sha256()
    let index = 0
    let end: EndRecord | undefined
    let originalBytes = 0
    let encoded = 0
    const next = Effect.map(Effect.suspend(() => readRecord(reader, index, header)), (record) => {
      if (record._tag === "End") {
        end = record
        return undefined
      }
      index++
      if (!record.raw) encoded++
      const consumed = record.offset + RECORD_BYTES + record.stored.byteLength
      return Effect.map(decodeBlock(header, record), (original) => ({ original, consumed }))
    })
    yield* inOrder(options.concurrency, next, ({ consumed, original }) =>
      Effect.gen(function*() {
        yield* write(original)
        hash.update(original)
        originalBytes += original.byteLength
        options.onProgress(consumed)
      }))
    // `next` returned undefined only after reading the end record.
    const trailer = end!
    if (trailer.originalSize !== originalBytes) {
      return yield* Effect.fail(new CompressedSizeMismatch({ expected: trailer.originalSize, actual: originalBytes }))
    }
    const digest = hash.digest()
    if (!digest.every((byte, i) => byte === trailer.sha256[i])) {
      return yield* Effect.fail(new CompressedChecksumMismatch({ expected: hexOf(trailer.sha256), actual: hexOf(digest) }))
    }
    const compressedBytes = trailer.offset + END_BYTES
    if (!(yield* reader.atEnd)) return yield* Effect.fail(new CompressedTrailingData({ offset: compressedBytes }))
    options.onProgress(compressedBytes)
    return {
      codec: header.codec,
      level: header.level,
      blockSize: header.blockSize,
      originalBytes,
      compressedBytes,
      seconds: yield* elapsedSince(started),
      blocks: { total: index, encoded, raw: index - encoded }
    }
  })

/** Reads `source` through a `ByteReader`, and stops the source early if `use` ends first. */
const withReader = <A, E, R>(source: ByteSource, use: (reader: ByteReader) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.acquireUseRelease(Effect.sync(() => makeByteReader(source)), use, (reader) => reader.close)

/** Compresses everything `input` yields, handing the compressed file to `write` piece by piece. */
export const compress = (
  input: AsyncIterable<Uint8Array>,
  write: (bytes: Uint8Array) => Promise<void>,
  options: CompressOptions = {}
): Effect.Effect<CompressResult, CompressError> =>
  Effect.flatMap(planCompression(options), (plan) =>
    withReader(iterableSource(input, STREAM_INPUT), (reader) => compressWith(reader.readInto, undefined, writerFrom(STREAM_OUTPUT, write), plan)))

/**
 * Decompresses the compressed file `input` yields. `write` receives only
 * blocks whose CRC-32 verified, but the size and SHA-256 of the whole are
 * known only at the end: on failure, discard what was written.
 */
export const decompress = (
  input: AsyncIterable<Uint8Array>,
  write: (bytes: Uint8Array) => Promise<void>,
  options: DecompressOptions = {}
): Effect.Effect<DecompressResult, DecompressError | InvalidCompressOption> =>
  Effect.flatMap(checkConcurrency(options.concurrency), (concurrency) =>
    withReader(iterableSource(input, STREAM_INPUT), (reader) =>
      decompressWith(reader, writerFrom(STREAM_OUTPUT, write), { concurrency, onProgress: options.onProgress ?? (() => {}) })))

/** Permission bits of a new output file, before the umask: the same as the input would get from a copy. */
const OUTPUT_FILE_MODE = 0o666

/** The output edge of the file functions, failing with CompressOutputExists for an existing file. */
const compressOutput = <A, E, R>(file: string, options: FileOptions, use: (write: Writer) => Effect.Effect<A, E, R>) =>
  withOutput(file, { force: options.force ?? false, mode: OUTPUT_FILE_MODE, stdout: options.stdout }, (taken) => new CompressOutputExists({ file: taken }), use)

/**
 * Compresses the file `inPath` ("-": standard input) to `outPath` ("-":
 * standard output). A file output appears, complete, only on success; an
 * interruption leaves nothing behind.
 */
export const compressFile = (
  inPath: string,
  outPath: string,
  options: CompressOptions & FileOptions = {}
): Effect.Effect<CompressResult, CompressError | CompressOutputExists, Files> =>
  Effect.flatMap(planCompression(options), (plan) =>
    Effect.scoped(Effect.flatMap(openInput(inPath, options), (input) =>
      // A file fills whole blocks straight from its reads: one copy less per byte than through a ByteReader.
      input.file === undefined
        ? withReader(input.source, (reader) => compressOutput(outPath, options, (write) => compressWith(reader.readInto, undefined, write, plan)))
        : compressOutput(outPath, options, (write) => compressWith(input.file!.read, input.size, write, plan)))))

/**
 * Decompresses the compressed file `inPath` ("-": standard input) to
 * `outPath` ("-": standard output). A file output appears only when every
 * block, the size and the SHA-256 verified; to standard output verified
 * blocks are written as they come, so a failure there leaves a prefix out.
 */
export const decompressFile = (
  inPath: string,
  outPath: string,
  options: DecompressOptions & FileOptions = {}
): Effect.Effect<DecompressResult, DecompressError | InvalidCompressOption | CompressOutputExists, Files> =>
  Effect.flatMap(checkConcurrency(options.concurrency), (concurrency) =>
    Effect.scoped(Effect.flatMap(openInput(inPath, options), (input) =>
      compressOutput(outPath, options, (write) => {
        const how = { concurrency, onProgress: options.onProgress ?? (() => {}) }
        // A file is read straight into each block's buffer: one copy less per byte than through the stream reader.
        return input.file === undefined
          ? withReader(input.source, (reader) => decompressWith(reader, write, how))
          : decompressWith(fileByteReader(input.file), write, how)
      }))))
