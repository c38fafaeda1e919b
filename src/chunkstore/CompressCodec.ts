/**
 * The chunk codec the store uses by default from the command line: TENSOR's
 * content-based strategy (src/compress) per chunk, so a chunk of a JPEG is
 * stored, a chunk of a log gets zstd's stronger level. Codec names match the
 * zlib default's, so stores written with either read with either.
 */
import { Effect } from "effect"
import { chooseStrategy, type Codec, compressBytes, decompressBytes, detect, isCodec } from "../compress/Compress.ts"
import type { ChunkCodec } from "./Codec.ts"

const codecOf = (name: string): Codec => {
  if (!isCodec(name)) throw new Error(`unknown chunk codec '${name}'`)
  return name
}

export const compressionCodec = (): ChunkCodec => ({
  choose: (chunk) => {
    const strategy = chooseStrategy(detect(chunk))
    return { codec: strategy.codec, level: strategy.level }
  },
  compress: (codec, level, bytes) => Effect.runPromise(compressBytes(codecOf(codec), level, bytes)),
  decompress: (codec, bytes, expectedLength) =>
    Effect.runPromise(decompressBytes(codecOf(codec), bytes, expectedLength ?? 64 * 1024 * 1024))
})
