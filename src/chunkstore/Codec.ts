/**
 * How chunks are compressed: a small port the store calls per chunk, so the
 * compression library (src/compress) can replace the default here without
 * the store changing. The codec of every chunk is recorded in its pack, so
 * a store may mix codecs and a later default never strands old chunks.
 *
 * The default implementation uses node:zlib, which Node 20 and Bun both
 * have (zstd is not in Node 20): brotli at quality 1 for compressible
 * chunks, and "store" when a cheap entropy estimate says a chunk is already
 * compressed or random. Measured under Bun 1.4 on 61 MiB of JavaScript and
 * JSON in 1 MiB chunks (ratio, MB/s on one core): brotli q1 4.47 / 239,
 * q2 4.86 / 131, q4 5.25 / 106; gzip -1 3.31 / 270, gzip -6 5.02 / 84.
 * Brotli q1 is the best ratio at full speed; the asynchronous zlib calls
 * run on the thread pool, so a few chunks in flight use more than one core.
 */
import * as zlib from "node:zlib"

export interface CodecChoice {
  /** A codec name of at most 16 ASCII letters, digits, ".", "_" or "-"; "store" means uncompressed. */
  readonly codec: string
  readonly level: number
}

export interface ChunkCodec {
  /** Which codec and level to use for this chunk; cheap, called once per new chunk. */
  readonly choose: (chunk: Uint8Array) => CodecChoice
  readonly compress: (codec: string, level: number, bytes: Uint8Array) => Uint8Array | Promise<Uint8Array>
  /**
   * The original bytes. `expectedLength` is the length recorded in the pack:
   * a decompressor should refuse to produce more (a damaged or hostile pack
   * must not balloon memory). Throws or rejects on bytes it cannot read.
   */
  readonly decompress: (codec: string, bytes: Uint8Array, expectedLength?: number) => Uint8Array | Promise<Uint8Array>
}

export const STORE = "store"

/** Shannon entropy in bits per byte of a few windows of `bytes` (the whole of a small chunk). */
export const sampledEntropy = (bytes: Uint8Array, windowBytes = 4096, windows = 4): number => {
  const counts = new Uint32Array(256)
  let sampled = 0
  const count = (start: number, end: number) => {
    for (let i = start; i < end; i++) counts[bytes[i]!]!++
    sampled += end - start
  }
  if (bytes.byteLength <= windowBytes * windows) count(0, bytes.byteLength)
  else {
    const stride = Math.floor((bytes.byteLength - windowBytes) / (windows - 1))
    for (let w = 0; w < windows; w++) count(w * stride, w * stride + windowBytes)
  }
  if (sampled === 0) return 0
  let entropy = 0
  for (const c of counts) {
    if (c === 0) continue
    const p = c / sampled
    entropy -= p * Math.log2(p)
  }
  return entropy
}

export interface ZlibCodecOptions {
  /** The codec for compressible chunks: "brotli" (default) or "gzip". */
  readonly codec?: "brotli" | "gzip"
  /** Brotli quality 0–11 (default 1) or gzip level 1–9 (default 6). */
  readonly level?: number
  /** Chunks whose sampled entropy is at least this many bits per byte are stored as they are (default 7.5). */
  readonly storeAboveEntropy?: number
}

type Callback = (error: Error | null, result: Buffer) => void

/** The result of a callback-style zlib call, as a promise. */
const promised = (run: (callback: Callback) => void): Promise<Uint8Array> =>
  new Promise((resolve, reject) => run((error, result) => (error === null ? resolve(result) : reject(error))))

const brotliOptions = (level: number, sizeHint: number): zlib.BrotliOptions => ({
  params: {
    [zlib.constants.BROTLI_PARAM_QUALITY]: level,
    [zlib.constants.BROTLI_PARAM_SIZE_HINT]: sizeHint
  }
})

/** The default codec: node:zlib brotli or gzip, and "store" for incompressible chunks. */
export const makeZlibCodec = (options: ZlibCodecOptions = {}): ChunkCodec => {
  const codec = options.codec ?? "brotli"
  const level = options.level ?? (codec === "brotli" ? 1 : 6)
  const threshold = options.storeAboveEntropy ?? 7.5
  return {
    choose: (chunk) => (sampledEntropy(chunk) >= threshold ? { codec: STORE, level: 0 } : { codec, level }),
    compress: (name, chosenLevel, bytes) => {
      switch (name) {
        case STORE:
          return bytes
        case "brotli":
          return promised((done) => zlib.brotliCompress(bytes, brotliOptions(chosenLevel, bytes.byteLength), done))
        case "gzip":
          return promised((done) => zlib.gzip(bytes, { level: chosenLevel }, done))
        default:
          throw new Error(`the zlib codec cannot compress with ${JSON.stringify(name)}`)
      }
    },
    decompress: (name, bytes, expectedLength) => {
      // One byte more than expected lets the store see "too long" instead of a silently cut chunk.
      const limit: zlib.ZlibOptions = expectedLength === undefined ? {} : { maxOutputLength: Math.max(1, expectedLength + 1) }
      switch (name) {
        case STORE:
          return bytes
        case "brotli":
          return promised((done) => zlib.brotliDecompress(bytes, limit, done))
        case "gzip":
          return promised((done) => zlib.gunzip(bytes, limit, done))
        default:
          throw new Error(`this release cannot decompress ${JSON.stringify(name)} chunks`)
      }
    }
  }
}

export const defaultCodec: ChunkCodec = makeZlibCodec()
