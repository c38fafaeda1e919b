/**
 * Reads a stream of byte pieces of any sizes as exact-size blocks, and can
 * look one piece ahead to tell whether the input has ended. A block is always
 * a copy, so a source that reuses its buffer between pieces is read
 * correctly, and at most one piece plus one block is held at a time. The
 * pieces come from a file (through the Files port) or from the caller's
 * async iterable (standard input, a socket, a test's pieces).
 */
import { Effect } from "effect"
import { FileError, fileErrorFrom, type FileReader } from "../adapters/fs/Files.ts"

/** Where a ByteReader's pieces come from. */
export interface ByteSource {
  /** The next piece, or undefined at the end. The source may reuse the piece's memory once pulled again. */
  readonly pull: Effect.Effect<Uint8Array | undefined, FileError>
  /** Tells the source no more will be read. */
  readonly close: Effect.Effect<void>
}

/** How much of a file one piece is: a vault chunk and its tag fit in one. */
const FILE_PIECE_BYTES = 1024 * 1024 + 16

/**
 * A file's bytes, read into one buffer over and over: the ByteReader copies
 * each piece out before it asks for the next, and a fresh megabyte per read
 * only fed the garbage collector (peak RSS of a large file fell by tens of MB).
 */
export const fileSource = (reader: FileReader): ByteSource => {
  const buffer = new Uint8Array(FILE_PIECE_BYTES)
  return {
    pull: Effect.map(reader.read(buffer), (read) => (read === 0 ? undefined : buffer.subarray(0, read))),
    close: Effect.void
  }
}

/**
 * The pieces an async iterable yields; `name` names it in errors. Closing
 * calls `return()`, and waits for it unless a read is still in flight: a
 * stalled source (a silent pipe) settles `return()` only after that read, so
 * waiting would hang an interruption forever.
 */
export const iterableSource = (input: AsyncIterable<unknown>, name: string): ByteSource => {
  const iterator = input[Symbol.asyncIterator]()
  let ended = false
  // Stays true while a `next()` is unsettled, even after the fiber awaiting it was interrupted.
  let pulling = false
  return {
    pull: Effect.flatMap(
      Effect.tryPromise({
        try: () => {
          pulling = true
          return iterator.next().finally(() => {
            pulling = false
          })
        },
        catch: (cause) => fileErrorFrom("read", name, cause)
      }),
      (next) => {
        if (next.done === true) {
          ended = true
          return Effect.undefined
        }
        return next.value instanceof Uint8Array
          ? Effect.succeed(next.value)
          : Effect.fail(new FileError({ reason: "Other", operation: "read", path: name, detail: `the input yielded a ${typeof next.value}, not bytes` }))
      }
    ),
    close: Effect.suspend(() => {
      if (ended) return Effect.void
      const closing = iterator.return?.()
      if (closing === undefined) return Effect.void
      if (pulling) {
        closing.catch(() => {})
        return Effect.void
      }
      return Effect.ignore(Effect.tryPromise({ try: () => closing, catch: (error) => error }))
    })
  }
}

export interface ByteReader {
  /** The next `size` bytes; fewer only when the input ends first (empty at the end). */
  readonly read: (size: number) => Effect.Effect<Uint8Array, FileError>
  /**
   * Fills `block` with the next bytes and returns how many it got: fewer than
   * its length only when the input ends first. Lets a caller reuse one buffer.
   */
  readonly readInto: (block: Uint8Array) => Effect.Effect<number, FileError>
  /** True when no byte is left; pulls the next piece when the current one is used up. */
  readonly atEnd: Effect.Effect<boolean, FileError>
  /** How many bytes `read` has returned so far. */
  readonly position: () => number
  /** Tells the source no more will be read. */
  readonly close: Effect.Effect<void>
}

const EMPTY = new Uint8Array(0)

export const makeByteReader = (source: ByteSource): ByteReader => {
  let piece: Uint8Array = EMPTY
  let used = 0
  let ended = false
  let consumed = 0

  /** Makes `piece` hold unread bytes, unless the input has ended. */
  const fill: Effect.Effect<void, FileError> = Effect.gen(function*() {
    while (!ended && used === piece.byteLength) {
      const next = yield* source.pull
      if (next === undefined) {
        ended = true
        piece = EMPTY
      } else {
        piece = next
      }
      used = 0
    }
  })

  const readInto = (block: Uint8Array): Effect.Effect<number, FileError> =>
    Effect.gen(function*() {
      let filled = 0
      while (filled < block.byteLength) {
        yield* fill
        if (ended) break
        const take = Math.min(block.byteLength - filled, piece.byteLength - used)
        block.set(piece.subarray(used, used + take), filled)
        used += take
        filled += take
      }
      consumed += filled
      return filled
    })

  const read = (size: number): Effect.Effect<Uint8Array, FileError> => {
    const block = new Uint8Array(size)
    return Effect.map(readInto(block), (filled) => (filled === size ? block : block.subarray(0, filled)))
  }

  return {
    read,
    readInto,
    atEnd: Effect.map(fill, () => ended),
    position: () => consumed,
    close: Effect.suspend(() => (ended ? Effect.void : source.close))
  }
}

/**
 * A ByteReader over an open file that reads straight into the caller's
 * blocks: a block (a vault chunk, a compressed block) is read once, by the
 * OS, into the buffer it is then sealed, opened or decoded from, where
 * `makeByteReader` reads pieces and copies every byte out of them once more.
 * Knowing whether the input has ended costs a read of one byte, kept for the
 * next block.
 */
export const fileByteReader = (file: FileReader): ByteReader => {
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
