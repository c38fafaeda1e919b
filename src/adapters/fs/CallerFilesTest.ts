/**
 * CallerFiles for tests: the confinement rules of CallerFiles.ts over any
 * Files (an in-memory FilesTest, or the real filesystem in a temporary
 * directory), with the caller's permission bits applied to the directories
 * a walk enters. It does not change identity: what the kernel would refuse
 * the caller is CallerFilesLive's to show (test/e2e/security.test.ts).
 */
import { createHash } from "node:crypto"
import { Effect, Layer } from "effect"
import type { Caller } from "../../runtime/Caller.ts"
import { CallerFiles, type CallerFilesShape, type CallerHasher, type HashedFile, type Confinement, confinementProblem, mayList, outsideRoots, refusingRest, tooLarge } from "./CallerFiles.ts"
import { FileError, type FilesShape, temporaryName, writeAtomicVia } from "./Files.ts"

export interface CallerFilesTestOptions extends Confinement {
  readonly files: FilesShape
  readonly maxBytes?: number
}

export const make = (options: CallerFilesTestOptions): CallerFilesShape => {
  const maxBytes = options.maxBytes ?? Number.MAX_SAFE_INTEGER
  const check = (operation: string, file: string) => {
    const problem = confinementProblem(file, options)
    return problem === undefined ? Effect.void : Effect.fail(outsideRoots(operation, file, problem))
  }
  const forCaller = (caller: Caller) =>
    Effect.succeed(refusingRest({
      openRead: (file, how) =>
        Effect.gen(function*() {
          yield* check("open", file)
          const reader = yield* options.files.openRead(file, { ...how, followSymlinks: false })
          if (reader.info.type !== "file") {
            return yield* new FileError({ reason: "Other", operation: "open", path: file, detail: `it is a ${reader.info.type}; only regular files are read here` })
          }
          if (reader.info.size > maxBytes) return yield* Effect.fail(tooLarge("read", file, reader.info.size, maxBytes))
          return reader
        }),
      openAtomic: (file, atomic) => Effect.andThen(check("create", file), options.files.openAtomic(file, atomic)),
      writeAtomic: writeAtomicVia((file, atomic) => Effect.andThen(check("create", file), options.files.openAtomic(file, atomic))),
      walk: (root, visitor, walk) =>
        Effect.andThen(
          check("walk", root),
          options.files.walk(root, {
            ...visitor,
            enter: (entry) => {
              if (mayList(caller, entry.info)) return visitor.enter?.(entry) ?? true
              visitor.unreadable(entry.path, new FileError({ reason: "PermissionDenied", operation: "list", path: entry.path }))
              visitor.leave(entry.path)
              return false
            }
          }, walk)
        )
    }))
  const scratch = (_caller: Caller, directory: string, stem: string) =>
    Effect.gen(function*() {
      const target = `${directory}/${stem}`
      yield* check("create", target)
      const unique = Array.from({ length: 12 }, () => Math.floor(Math.random() * 16).toString(16)).join("")
      const file = temporaryName(target, process.pid, unique)
      yield* Effect.acquireRelease(options.files.writeAtomic(file, new Uint8Array(0)), () => Effect.ignore(options.files.remove(file)))
      return { path: file, toolPath: file }
    })
  const hasherFor = (caller: Caller) =>
    Effect.map(forCaller(caller), (files): CallerHasher => (batch) =>
      Effect.forEach(batch, ({ path: file }) =>
        Effect.result(Effect.scoped(Effect.gen(function*() {
          const reader = yield* files.openRead(file, { followSymlinks: false })
          const hash = createHash("sha256")
          const buffer = new Uint8Array(1024 * 1024)
          let bytes = 0
          for (;;) {
            const n = yield* reader.read(buffer)
            if (n === 0) break
            hash.update(buffer.subarray(0, n))
            bytes += n
          }
          return { sha256: hash.digest("hex"), bytes, modifiedNs: reader.info.modifiedNs, mode: reader.info.mode } satisfies HashedFile
        })))))
  return { forCaller, scratch, hasherFor }
}

export const layer = (options: CallerFilesTestOptions): Layer.Layer<CallerFiles> => Layer.succeed(CallerFiles, make(options))
