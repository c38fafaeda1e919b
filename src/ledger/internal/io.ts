/**
 * Reading the ledger in chunks through a positioned read of the Files port.
 */
import { createHash } from "node:crypto"
import { Effect } from "effect"
import type { FileError } from "../../adapters/fs/Files.ts"

export const CHUNK_BYTES = 64 * 1024

/** A positioned read: a FileReader's or an AppendFile's `readAt`. */
export type ReadAt = (buffer: Uint8Array, position: number) => Effect.Effect<number, FileError>

/** Up to CHUNK_BYTES from `position`, in a fresh buffer; empty at the end of the file. */
export const readChunk = (readAt: ReadAt, position: number): Effect.Effect<Uint8Array, FileError> => {
  const buffer = new Uint8Array(CHUNK_BYTES)
  return Effect.map(readAt(buffer, position), (read) => buffer.subarray(0, read))
}

/** SHA-256 (hex) of the bytes from `position` to the end of the file, read in chunks. */
export const hashFrom = (readAt: ReadAt, position: number): Effect.Effect<string, FileError> =>
  Effect.gen(function*() {
    const hash = createHash("sha256")
    for (let at = position;;) {
      const chunk = yield* readChunk(readAt, at)
      if (chunk.byteLength === 0) return hash.digest("hex")
      hash.update(chunk)
      at += chunk.byteLength
    }
  })
