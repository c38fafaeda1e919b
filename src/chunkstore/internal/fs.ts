/**
 * The store's files, through the Files port: every file the store replaces is
 * the port's atomic write (temporary name, fsync, rename, directory fsync), so
 * a crash leaves the old file or the new one, never a mix.
 */
import { Effect } from "effect"
import { type FileError, Files, listIfPresent, removeStaleTemporaries, unlessMissing } from "../../adapters/fs/Files.ts"

/** The whole file, or undefined when it does not exist. */
export const readBytes = (file: string): Effect.Effect<Uint8Array | undefined, FileError, Files> =>
  Files.use((files) => unlessMissing(files.readFile(file)))

/** The names in `dir`, sorted; none when it does not exist. */
export const listDir = (dir: string): Effect.Effect<ReadonlyArray<string>, FileError, Files> => Files.use((files) => listIfPresent(files, dir))

/** Makes a rename or unlink in `dir` durable. */
export const syncDir = (dir: string): Effect.Effect<void, FileError, Files> => Files.use((files) => files.syncDirectory(dir))

/** Replaces `file` with `pieces`, atomically and durably. */
export const writeAtomically = (file: string, pieces: ReadonlyArray<Uint8Array>): Effect.Effect<void, FileError, Files> =>
  Files.use((files) => files.writeAtomic(file, pieces, { replace: true }))

/** Deletes `file` (gone already is fine). */
export const removeFile = (file: string): Effect.Effect<void, FileError, Files> => Files.use((files) => files.remove(file))

/**
 * Deletes the temporary files a crashed writer left in `dir`. Only a holder
 * of the store's lock may call it: it cannot tell a dead writer's file from
 * a live one's.
 */
export const removeStaleTemps = (dir: string): Effect.Effect<ReadonlyArray<string>, FileError, Files> =>
  Files.use((files) => removeStaleTemporaries(files, dir))

export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")

export const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "hex"))
