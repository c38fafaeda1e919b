/**
 * Filesystem helpers for the key modules. They stay promise-based; each
 * module turns a rejection into its own tagged error at the edge.
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

/** A short write left unnoticed is a silently torn file. */
export const writeFully = async (handle: fs.FileHandle, bytes: Uint8Array): Promise<void> => {
  let offset = 0
  while (offset < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset)
    if (bytesWritten <= 0) throw new Error(`write made no progress at byte ${offset} of ${bytes.byteLength}`)
    offset += bytesWritten
  }
}

/** `0644`-style rendering of a mode's permission bits. */
export const octalMode = (mode: number): string => `0${(mode & 0o777).toString(8).padStart(3, "0")}`

/** Whether anyone but the owner may read, write or search the file. */
export const isOpenToOthers = (mode: number): boolean => (mode & 0o077) !== 0
