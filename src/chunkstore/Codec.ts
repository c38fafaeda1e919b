/**
 * Which codec each new chunk gets: the store's one compression decision, a
 * small port so a caller can pick the policy. The bytes themselves go
 * through the codec layer the compressed-file format uses too
 * (src/compress/Codecs.ts: zstd, brotli, gzip, store; zstd native on Bun,
 * WebAssembly on Node 20), so every store reads every chunk whichever policy
 * wrote it. The codec of every chunk is recorded in its pack, so a store may
 * mix codecs and a later default never strands old chunks.
 */
import { type Codec, CODECS } from "../compress/Codecs.ts"
import { detect, sampledEntropy } from "../compress/Detect.ts"
import { chooseStrategy } from "../compress/Strategy.ts"

export interface CodecChoice {
  readonly codec: Codec
  readonly level: number
}

export interface ChunkCodec {
  /** Which codec and level to use for this chunk; cheap, called once per new chunk. */
  readonly choose: (chunk: Uint8Array) => CodecChoice
}

export const STORE = "store" satisfies Codec

export interface EntropyCodecOptions {
  /** The codec for compressible chunks; brotli if absent. */
  readonly codec?: Exclude<Codec, "store">
  /** The level for `codec`: brotli 1 if absent, else the codec's default level. */
  readonly level?: number
  /** Chunks whose sampled entropy is at least this many bits per byte are stored as they are (default 7.5). */
  readonly storeAboveEntropy?: number
}

/**
 * One codec for every chunk that is not already compressed or random, judged
 * by a cheap entropy estimate. The default is brotli at quality 1, measured
 * under Bun 1.4 on 61 MiB of JavaScript and JSON in 1 MiB chunks (ratio,
 * MB/s on one core): brotli q1 4.47 / 239, q2 4.86 / 131, q4 5.25 / 106;
 * gzip -1 3.31 / 270, gzip -6 5.02 / 84. Brotli q1 is the best ratio at full
 * speed, and brotli is native on every runtime.
 */
export const entropyCodec = (options: EntropyCodecOptions = {}): ChunkCodec => {
  const codec = options.codec ?? "brotli"
  const level = options.level ?? (codec === "brotli" ? 1 : CODECS[codec].defaultLevel)
  const threshold = options.storeAboveEntropy ?? 7.5
  return { choose: (chunk) => (sampledEntropy(chunk) >= threshold ? { codec: STORE, level: 0 } : { codec, level }) }
}

/** What `Repository.open` and `init` use when the caller names no codec. */
export const defaultCodec: ChunkCodec = entropyCodec()

/**
 * TENSOR's content-based strategy (src/compress/Strategy.ts) per chunk: a
 * chunk of a JPEG is stored, a chunk of a log or a binary gets zstd 3.
 * What `sigmavault store` uses.
 */
export const strategyCodec = (): ChunkCodec => ({
  choose: (chunk) => {
    const strategy = chooseStrategy(detect(chunk))
    return { codec: strategy.codec, level: strategy.level }
  }
})
