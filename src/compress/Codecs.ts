/**
 * The block codecs: zstd, brotli, gzip and store, each on one buffer; the one
 * codec layer of the project. The compressed-file format runs every block
 * through `encodeWith`/`decodeWith`, and the dedup chunk store runs every
 * chunk through `compressBytes`/`decodeWith` (src/chunkstore). Brotli and gzip
 * come from node:zlib on both runtimes, loaded on first use; zstd is Bun's
 * own on Bun and WebAssembly on Node 20 (internal/zstd.ts).
 */
import { Effect } from "effect"
import { CompressionCodecFailed, InvalidCompressOption, reasonOf } from "./Errors.ts"
import { nodeZlib, outputChunk, SYNC_BELOW, viaZlib, viaZlibSync } from "./internal/zlibCall.ts"
import { compressZstd, decompressZstd, zstdImplementation } from "./internal/zstd.ts"

export type Codec = "store" | "zstd" | "brotli" | "gzip"

export interface CodecSpec {
  /** The byte that names the codec in a compressed file's header. */
  readonly id: number
  readonly minLevel: number
  readonly maxLevel: number
  /** The level used when a caller names the codec without one. */
  readonly defaultLevel: number
}

export const CODECS: { readonly [C in Codec]: CodecSpec } = {
  store: { id: 0, minLevel: 0, maxLevel: 0, defaultLevel: 0 },
  zstd: { id: 1, minLevel: 1, maxLevel: 19, defaultLevel: 3 },
  brotli: { id: 2, minLevel: 0, maxLevel: 11, defaultLevel: 6 },
  gzip: { id: 3, minLevel: 1, maxLevel: 9, defaultLevel: 6 }
}

export const CODEC_NAMES: ReadonlyArray<Codec> = ["store", "zstd", "brotli", "gzip"]

export const isCodec = (name: string): name is Codec => (CODEC_NAMES as ReadonlyArray<string>).includes(name)

export const codecOfId = (id: number): Codec | undefined => CODEC_NAMES.find((name) => CODECS[name].id === id)

/** Which implementation each codec uses on this runtime. */
export const implementations = (): { readonly [C in Codec]: string } => ({
  store: "copy",
  zstd: zstdImplementation(),
  brotli: "node:zlib",
  gzip: "node:zlib"
})

/** Why `level` is not a level of `codec`, or undefined when it is. */
export const levelProblem = (codec: Codec, level: number): string | undefined => {
  const { maxLevel, minLevel } = CODECS[codec]
  if (Number.isInteger(level) && level >= minLevel && level <= maxLevel) return undefined
  return minLevel === maxLevel
    ? `${codec} takes only level ${minLevel}, not ${level}`
    : `${codec} level ${level} is outside ${minLevel}–${maxLevel}`
}

/** `name` as a codec, or `InvalidCompressOption` naming the ones there are. */
export const checkCodec = (name: string): Effect.Effect<Codec, InvalidCompressOption> =>
  isCodec(name)
    ? Effect.succeed(name)
    : Effect.fail(new InvalidCompressOption({ option: "codec", reason: `${JSON.stringify(name)} is not one of ${CODEC_NAMES.join(", ")}` }))

export const checkLevel = (codec: Codec, level: number): Effect.Effect<number, InvalidCompressOption> => {
  const problem = levelProblem(codec, level)
  return problem === undefined ? Effect.succeed(level) : Effect.fail(new InvalidCompressOption({ option: "level", reason: problem }))
}

const failed = (codec: Codec, operation: "compress" | "decompress") => (error: unknown) =>
  new CompressionCodecFailed({ codec, operation, reason: reasonOf(error) })

/** Compresses with a codec and level already checked. */
export const encodeWith = (codec: Codec, level: number, bytes: Uint8Array): Effect.Effect<Uint8Array, CompressionCodecFailed> => {
  switch (codec) {
    case "store":
      return Effect.succeed(bytes)
    case "zstd":
      return compressZstd(bytes, level)
    case "brotli": {
      const zlib = nodeZlib()
      return Effect.mapError(
        viaZlib((done) =>
          zlib.brotliCompress(bytes, {
            chunkSize: outputChunk(bytes.byteLength),
            params: {
              [zlib.constants.BROTLI_PARAM_QUALITY]: level,
              [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength
            }
          }, done)
        ),
        failed(codec, "compress")
      )
    }
    case "gzip":
      return Effect.mapError(viaZlib((done) => nodeZlib().gzip(bytes, { level, chunkSize: outputChunk(bytes.byteLength) }, done)), failed(codec, "compress"))
  }
}

/**
 * The original bytes of `bytes`, which must decode to exactly `originalLength`
 * bytes. The decoder is stopped just past that length, so damaged or hostile
 * input cannot make it allocate more.
 */
export const decodeWith = (codec: Codec, bytes: Uint8Array, originalLength: number): Effect.Effect<Uint8Array, CompressionCodecFailed> => {
  // One byte more than expected lets a too-long output show as such instead of being cut silently.
  const limit = { maxOutputLength: originalLength + 1, chunkSize: outputChunk(originalLength + 1) }
  const decoded = (() => {
    switch (codec) {
      case "store":
        return Effect.succeed(bytes)
      case "zstd":
        return decompressZstd(bytes, originalLength)
      case "brotli":
        return Effect.mapError(
          originalLength < SYNC_BELOW
            ? viaZlibSync(() => nodeZlib().brotliDecompressSync(bytes, limit))
            : viaZlib((done) => nodeZlib().brotliDecompress(bytes, limit, done)),
          failed(codec, "decompress")
        )
      case "gzip":
        return Effect.mapError(
          originalLength < SYNC_BELOW ? viaZlibSync(() => nodeZlib().gunzipSync(bytes, limit)) : viaZlib((done) => nodeZlib().gunzip(bytes, limit, done)),
          failed(codec, "decompress")
        )
    }
  })()
  return Effect.flatMap(decoded, (original) =>
    original.byteLength === originalLength
      ? Effect.succeed(original)
      : Effect.fail(failed(codec, "decompress")(
        original.byteLength > originalLength
          ? `the data decodes to more than the ${originalLength} bytes expected`
          : `the data decodes to ${original.byteLength} bytes where ${originalLength} were expected`
      )))
}

/**
 * Compresses one buffer with `codec` at `level` (zstd 1–19, brotli 0–11,
 * gzip 1–9, store 0). The output is a bare zstd frame, brotli stream or gzip
 * member, with no container around it; it may be larger than the input.
 */
export const compressBytes = (
  codec: Codec,
  level: number,
  bytes: Uint8Array
): Effect.Effect<Uint8Array, InvalidCompressOption | CompressionCodecFailed> =>
  Effect.gen(function*() {
    const checked = yield* checkCodec(codec)
    return yield* encodeWith(checked, yield* checkLevel(checked, level), bytes)
  })

/**
 * Decompresses what `compressBytes(codec, …)` made. `originalLength` is the
 * length it must decode to (the caller recorded it): anything else fails
 * with `CompressionCodecFailed`.
 */
export const decompressBytes = (
  codec: Codec,
  bytes: Uint8Array,
  originalLength: number
): Effect.Effect<Uint8Array, InvalidCompressOption | CompressionCodecFailed> =>
  Effect.gen(function*() {
    const checked = yield* checkCodec(codec)
    if (!Number.isSafeInteger(originalLength) || originalLength < 0) {
      return yield* Effect.fail(new InvalidCompressOption({ option: "original length", reason: `${originalLength} is not a whole number of bytes` }))
    }
    return yield* decodeWith(checked, bytes, originalLength)
  })
