/**
 * A ByteReader over an open file that reads straight into the caller's
 * blocks: each chunk of a vault payload is read once, by the OS, into the
 * buffer it is sealed or opened from, where the piece-by-piece ByteReader
 * copies every byte once more. Knowing whether the input has ended costs a
 * read of one byte, kept for the next block.
 */
import { Effect } from "effect"
import type { FileError, FileReader } from "../../adapters/fs/Files.ts"
import type { ByteReader } from "../../fileio/ByteReader.ts"

export const directReader = (file: FileReader): ByteReader => {
  /** The byte `atEnd` read ahead, when `peeked`. */
  const ahead = new Uint8Array(1)
  let peeked = false
  let ended = false
  let consumed = 0

  const readInto = (block: Uint8Array): Effect.Effect<number, FileError> =>
    Effect.suspend(() => {
      if (block.byteLength === 0) return Effect.succeed(0)
      const carried = peeked ? 1 : 0
      if (peeked) {
        block[0] = ahead[0]!
        peeked = false
      }
      const done = (filled: number) => {
        consumed += filled
        return filled
      }
      if (ended) return Effect.succeed(done(carried))
      return Effect.map(file.read(block.subarray(carried)), (read) => {
        // The port's read fills the buffer unless the file ends first.
        if (carried + read < block.byteLength) ended = true
        return done(carried + read)
      })
    })

  return {
    read: (size) => {
      const block = new Uint8Array(size)
      return Effect.map(readInto(block), (filled) => (filled === size ? block : block.subarray(0, filled)))
    },
    readInto,
    atEnd: Effect.suspend(() =>
      peeked || ended ? Effect.succeed(!peeked) : Effect.map(file.read(ahead), (read) => {
        peeked = read === 1
        ended = read === 0
        return ended
      })
    ),
    position: () => consumed,
    close: Effect.void
  }
}
