/**
 * The store's filesystem edge: every promise rejection becomes a
 * `StoreIoError` here, and every file the store replaces is written to a
 * temporary name, fsynced, renamed and its directory fsynced, so a crash
 * leaves the old file or the new one, never a mix.
 */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Effect } from "effect"
import { isMissing, reasonOf, writeFully } from "../../support/files.ts"
import { StoreIoError } from "../Errors.ts"

export const io = <A>(operation: string, file: string, run: () => Promise<A>): Effect.Effect<A, StoreIoError> =>
  Effect.tryPromise({ try: run, catch: (error) => new StoreIoError({ operation, file, reason: reasonOf(error) }) })

/** Like `io`, but a missing file is `undefined` rather than a failure. */
export const ioOptional = <A>(operation: string, file: string, run: () => Promise<A>): Effect.Effect<A | undefined, StoreIoError> =>
  Effect.tryPromise({ try: run, catch: (error) => error }).pipe(
    Effect.catch((error) =>
      isMissing(error) ? Effect.succeed(undefined) : Effect.fail(new StoreIoError({ operation, file, reason: reasonOf(error) }))
    )
  )

export const readBytes = (operation: string, file: string): Effect.Effect<Uint8Array | undefined, StoreIoError> =>
  ioOptional(operation, file, () => fs.readFile(file).then((buffer) => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)))

/** The names in `dir`, sorted; none when it does not exist. */
export const listDir = (dir: string): Effect.Effect<ReadonlyArray<string>, StoreIoError> =>
  ioOptional("list", dir, () => fs.readdir(dir)).pipe(Effect.map((names) => (names ?? []).slice().sort()))

/** Makes a rename or unlink in `dir` durable. */
export const syncDir = (dir: string): Effect.Effect<void, StoreIoError> =>
  Effect.acquireUseRelease(
    io("open directory", dir, () => fs.open(dir, "r")),
    (handle) => io("sync directory", dir, () => handle.sync()),
    (handle) => Effect.ignore(io("close directory", dir, () => handle.close()))
  )

/** The marker every temporary file of the store carries; `removeStaleTemps` deletes what a crash left. */
export const TEMP_MARK = ".tmp-"

export const temporaryName = (file: string): string => `${file}${TEMP_MARK}${process.pid}-${randomBytes(6).toString("hex")}`

/** Replaces `file` with `pieces`, atomically and durably. */
export const writeAtomically = (
  file: string,
  pieces: ReadonlyArray<Uint8Array>,
  mode = 0o600
): Effect.Effect<void, StoreIoError> => {
  const temporary = temporaryName(file)
  return Effect.gen(function*() {
    yield* Effect.acquireUseRelease(
      io("create", temporary, () => fs.open(temporary, "wx", mode)),
      (handle) =>
        io("write", temporary, async () => {
          for (const piece of pieces) await writeFully(handle, piece)
          await handle.sync()
        }),
      (handle) => Effect.ignore(io("close", temporary, () => handle.close()))
    )
    yield* io("rename into place", file, () => fs.rename(temporary, file))
    yield* syncDir(path.dirname(file))
  }).pipe(Effect.onError(() => Effect.ignore(io("remove temporary file", temporary, () => fs.rm(temporary, { force: true })))))
}

/** Deletes `file` (gone already is fine). */
export const removeFile = (file: string): Effect.Effect<void, StoreIoError> => io("delete", file, () => fs.rm(file, { force: true }))

/**
 * Deletes the temporary files a crashed writer left in `dir`. Only a holder
 * of the store's lock may call it: it cannot tell a dead writer's file from
 * a live one's.
 */
export const removeStaleTemps = (dir: string): Effect.Effect<ReadonlyArray<string>, StoreIoError> =>
  Effect.gen(function*() {
    const stale = (yield* listDir(dir)).filter((name) => name.includes(TEMP_MARK)).map((name) => path.join(dir, name))
    yield* Effect.forEach(stale, removeFile, { discard: true })
    return stale
  })

export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")

export const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "hex"))
