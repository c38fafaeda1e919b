/**
 * StateStore on files: `<dir>/<key>.json`, each write the Files port's atomic
 * write (temporary file, fsync, rename, directory fsync), so after a power cut
 * the key holds either the old or the new document, never a torn one.
 */
import * as path from "node:path"
import { Effect, Layer, Option } from "effect"
import { Files, type FilesShape, unlessMissing } from "../fs/Files.ts"
import { decodeDocument, encodeDocument, StateStore, type StateStoreShape, validateKey } from "./StateStore.ts"

export const make = (files: FilesShape, directory: string): StateStoreShape => {
  const dir = path.resolve(directory)
  const fileOf = (key: string) => path.join(dir, `${key}.json`)

  const read = (key: string) =>
    Effect.gen(function*() {
      yield* validateKey(key)
      const file = fileOf(key)
      const bytes = yield* unlessMissing(files.readFile(file))
      if (bytes === undefined) return Option.none()
      return Option.some(yield* decodeDocument(file, new TextDecoder().decode(bytes)))
    })

  const write = (key: string, value: unknown) =>
    Effect.gen(function*() {
      yield* validateKey(key)
      const text = yield* encodeDocument(key, value)
      yield* files.makeDirectory(dir, { recursive: true })
      yield* files.writeAtomic(fileOf(key), new TextEncoder().encode(text), { replace: true })
    })

  return { read, write }
}

/** The store rooted at the daemon's state directory (created on first write). */
export const layer = (directory: string): Layer.Layer<StateStore, never, Files> =>
  Layer.effect(StateStore, Files.useSync((files) => make(files, directory)))
