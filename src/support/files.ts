/**
 * Filesystem helpers the libraries under src/ (memory, keys, vault, ledger)
 * share. They stay promise-based; each library turns a rejection into its own
 * tagged error at its edge.
 */
import type * as fs from "node:fs/promises"

/** `CODE: message` for an errno failure, so a log line says which one it was. */
export const reasonOf = (error: unknown): string => {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code
    return code === undefined ? error.message : `${code}: ${error.message}`
  }
  return String(error)
}

export const errnoOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code

export const isMissing = (error: unknown): boolean => errnoOf(error) === "ENOENT"

/**
 * Writes every byte: a single `write` may stop short (a full disk, a signal),
 * and a short write left unnoticed is a silently torn file.
 */
export const writeFully = async (handle: fs.FileHandle, bytes: Uint8Array): Promise<void> => {
  let offset = 0
  while (offset < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset)
    if (bytesWritten <= 0) throw new Error(`write made no progress at byte ${offset} of ${bytes.byteLength}`)
    offset += bytesWritten
  }
}
