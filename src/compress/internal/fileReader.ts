/**
 * A ByteReader straight over an open file, for decompressing a file: each
 * read fills its own new buffer from the file, where the stream reader
 * (src/fileio/ByteReader.ts) reads 1 MiB pieces and copies every byte out
 * of them again. A block's data is one read(2) into the buffer the codec
 * then takes. `atEnd` reads one byte ahead and keeps it for the next read.
 */
import { Effect } from "effect"
import type { FileError, FileReader } from "../../adapters/fs/Files.ts"
import type { ByteReader } from "../../fileio/ByteReader.ts"

export const fileByteReader = (file: FileReader): ByteReader => {
  let consumed = 0
  /** The byte `atEnd` read ahead, not yet handed out. */
  let ahead: number | undefined
  let ended = false

  const readInto = (block: Uint8Array): Effect.Effect<number, FileError> => {
    if (block.byteLength === 0) return Effect.succeed(0)
    let filled = 0
    if (ahead !== undefined) {
      block[0] = ahead
      ahead = undefined
      filled = 1
    }
    if (ended || filled === block.byteLength) {
      consumed += filled
      return Effect.succeed(filled)
    }
    return Effect.map(file.read(block.subarray(filled)), (read) => {
      if (filled + read < block.byteLength) ended = true
      consumed += filled + read
      return filled + read
    })
  }

  const peek = new Uint8Array(1)
  return {
    read: (size) => {
      const block = new Uint8Array(size)
      return Effect.map(readInto(block), (filled) => (filled === size ? block : block.subarray(0, filled)))
    },
    readInto,
    atEnd: Effect.suspend(() => {
      if (ahead !== undefined) return Effect.succeed(false)
      if (ended) return Effect.succeed(true)
      return Effect.map(file.read(peek), (read) => {
        if (read === 0) {
          ended = true
          return true
        }
        ahead = peek[0]!
        return false
      })
    }),
    position: () => consumed,
    close: Effect.void
  }
}
