/**
 * The ledger's filesystem edge: promise-based calls turned into LedgerIoError.
 */
import { createHash } from "node:crypto"
import type * as fs from "node:fs/promises"
import { Effect } from "effect"
import { reasonOf } from "../../support/files.ts"
import { LedgerIoError } from "../LedgerError.ts"

export const CHUNK_BYTES = 64 * 1024

export const io = <A>(file: string, operation: string, run: () => Promise<A>): Effect.Effect<A, LedgerIoError> =>
  Effect.tryPromise({ try: run, catch: (error) => new LedgerIoError({ operation, file, reason: reasonOf(error) }) })

/** Up to CHUNK_BYTES from `position`, in a fresh buffer; empty at the end of the file. */
export const readChunk = async (handle: fs.FileHandle, position: number): Promise<Uint8Array> => {
  const buffer = new Uint8Array(CHUNK_BYTES)
  const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, position)
  return buffer.subarray(0, bytesRead)
}

/** SHA-256 (hex) of the bytes from `position` to the end of the file, read in chunks. */
export const hashFrom = async (handle: fs.FileHandle, position: number): Promise<string> => {
  const hash = createHash("sha256")
  for (let at = position;;) {
    const chunk = await readChunk(handle, at)
    if (chunk.byteLength === 0) return hash.digest("hex")
    hash.update(chunk)
    at += chunk.byteLength
  }
}
