/**
 * Reads an async stream of byte pieces of any sizes as exact-size blocks, and
 * can look one piece ahead to tell whether the input has ended. A block is
 * always a copy, so a source that reuses its buffer between pieces is read
 * correctly, and at most one piece plus one block is held at a time.
 * Generic over the error a library reports a failed read with (the vault's
 * VaultIoError, compress's CompressIoError).
 */
import { Effect } from "effect"
import { reasonOf } from "./files.ts"

export interface ByteReader<E> {
  /** The next `size` bytes; fewer only when the input ends first (empty at the end). */
  readonly read: (size: number) => Effect.Effect<Uint8Array, E>
  /**
   * Fills `block` with the next bytes and returns how many it got: fewer than
   * its length only when the input ends first. Lets a caller reuse one buffer.
   */
  readonly readInto: (block: Uint8Array) => Effect.Effect<number, E>
  /** True when no byte is left; pulls the next piece when the current one is used up. */
  readonly atEnd: Effect.Effect<boolean, E>
  /** How many bytes `read` has returned so far. */
  readonly position: () => number
  /**
   * Tells the source no more will be read (`return()`), and waits for it to
   * finish unless a read is still in flight: a stalled source (a silent
   * pipe) settles `return()` only after that read, so waiting would hang an
   * interruption forever.
   */
  readonly close: Effect.Effect<void>
}

const EMPTY = new Uint8Array(0)

/** `file` names the input in errors ("-" is standard input). */
export const makeByteReader = <E>(
  iterator: AsyncIterator<unknown>,
  file: string,
  readError: (file: string, reason: string) => E
): ByteReader<E> => {
  let piece: Uint8Array = EMPTY
  let used = 0
  let ended = false
  let consumed = 0

  // Stays true while a `next()` is unsettled, even after the fiber awaiting it was interrupted.
  let pulling = false
  const pull = Effect.tryPromise({
    try: () => {
      pulling = true
      return iterator.next().finally(() => {
        pulling = false
      })
    },
    catch: (error) => readError(file, reasonOf(error))
  })

  /** Makes `piece` hold unread bytes, unless the input has ended. */
  const fill: Effect.Effect<void, E> = Effect.gen(function*() {
    while (!ended && used === piece.byteLength) {
      const next = yield* pull
      if (next.done === true) {
        ended = true
        piece = EMPTY
      } else if (next.value instanceof Uint8Array) {
        piece = next.value
      } else {
        return yield* Effect.fail(
          readError(file, `the input yielded a ${typeof next.value}, not bytes`)
        )
      }
      used = 0
    }
  })

  const readInto = (block: Uint8Array): Effect.Effect<number, E> =>
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

  const read = (size: number): Effect.Effect<Uint8Array, E> => {
    const block = new Uint8Array(size)
    return Effect.map(readInto(block), (filled) => (filled === size ? block : block.subarray(0, filled)))
  }

  return {
    read,
    readInto,
    atEnd: Effect.map(fill, () => ended),
    position: () => consumed,
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
