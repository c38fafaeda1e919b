/**
 * StateStore on the local filesystem: `<dir>/<key>.json`. A write goes to a
 * temporary file in the same directory, is fsynced, renamed over the old file
 * and the directory is fsynced, so after a power cut the key holds either the
 * old or the new document, never a torn one.
 */
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Effect, Layer, Option } from "effect"
import {
  decodeDocument,
  encodeDocument,
  StateIoError,
  StateStore,
  type StateStoreShape,
  validateKey
} from "./StateStore.ts"

const reasonOf = (error: unknown): string => {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code
    return code === undefined ? error.message : `${code}: ${error.message}`
  }
  return String(error)
}

const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT"

const io = <A>(file: string, operation: string, run: () => Promise<A>): Effect.Effect<A, StateIoError> =>
  Effect.tryPromise({ try: run, catch: (error) => new StateIoError({ operation, file, reason: reasonOf(error) }) })

/** Opens, uses and always closes a file handle. */
const withHandle = <A>(
  file: string,
  flags: string,
  operation: string,
  use: (handle: fs.FileHandle) => Promise<A>
): Effect.Effect<A, StateIoError> =>
  Effect.acquireUseRelease(
    io(file, operation, () => fs.open(file, flags, 0o600)),
    (handle) => io(file, operation, () => use(handle)),
    (handle) => Effect.ignore(io(file, "close", () => handle.close()))
  )

export const make = (directory: string): StateStoreShape => {
  const dir = path.resolve(directory)
  const fileOf = (key: string) => path.join(dir, `${key}.json`)
  // Distinct temporary names let concurrent writes of one key each rename a whole file.
  let writes = 0

  const read = (key: string) =>
    Effect.gen(function*() {
      yield* validateKey(key)
      const file = fileOf(key)
      const text = yield* Effect.tryPromise({
        try: () => fs.readFile(file, "utf8").then((content): string | undefined => content),
        catch: (error) => error
      }).pipe(
        Effect.catch((error) =>
          isMissing(error)
            ? Effect.succeed(undefined)
            : Effect.fail(new StateIoError({ operation: "read state file", file, reason: reasonOf(error) }))
        )
      )
      if (text === undefined) return Option.none()
      return Option.some(yield* decodeDocument(file, text))
    })

  const write = (key: string, value: unknown) =>
    Effect.gen(function*() {
      yield* validateKey(key)
      const file = fileOf(key)
      const text = yield* encodeDocument(key, value)
      const temporary = path.join(dir, `.${key}.json.${process.pid}.${++writes}.tmp`)
      yield* io(dir, "create state directory", () => fs.mkdir(dir, { recursive: true }))
      yield* Effect.gen(function*() {
        yield* withHandle(temporary, "wx", "write state file", async (handle) => {
          await handle.writeFile(text, "utf8")
          await handle.sync()
        })
        yield* io(file, "replace state file", () => fs.rename(temporary, file))
      }).pipe(Effect.onError(() => Effect.ignore(io(temporary, "remove temporary file", () => fs.rm(temporary, { force: true })))))
      // The rename is durable only once the directory entry is on disk.
      yield* withHandle(dir, "r", "sync state directory", (handle) => handle.sync())
    })

  return { read, write }
}

/** The live store rooted at the daemon's state directory (created on first write). */
export const layer = (directory: string): Layer.Layer<StateStore> => Layer.succeed(StateStore, make(directory))
