/**
 * MigrationFiles on the local filesystem. For root (and the daemon's own
 * work) the operations of treeOps.ts run in the daemon; for any other
 * caller they run in a migration helper (`__migrate-as`, migrateAs.ts) that
 * took on the caller's uid, groups and umask, started with the job and
 * stopped with it, so the kernel judges every open, create, chown and
 * unlink with the caller's rights.
 */
import { spawn } from "node:child_process"
import { createInterface } from "node:readline"
import { Effect, Layer, type Scope } from "effect"
import type { Caller } from "../../runtime/Caller.ts"
import { type Confinement, confinementProblem, outsideRoots } from "../fs/CallerFiles.ts"
import { fileErrorFrom } from "../fs/Files.ts"
import type { HelperAnswer } from "./migrateAs.ts"
import { type EntryInfo, MigrationFiles, type MigrationFilesShape, type TreeAccess } from "./MigrationFiles.ts"
import { type OpRequest, perform } from "./treeOps.ts"

export interface MigrationFilesLiveOptions {
  readonly journalDir: string
  readonly confinement: Effect.Effect<Confinement>
  /** The helper's command line before its arguments (the daemon's binary and `__migrate-as`); none: every caller's work runs in-process (tests). */
  readonly helper?: ReadonlyArray<string>
}

type Performer = (request: OpRequest, onBytes?: (total: number) => void) => Promise<unknown>

const startHelper = (command: ReadonlyArray<string>, caller: Caller): Promise<{ perform: Performer; close: () => Promise<void> }> =>
  new Promise((resolve, reject) => {
    const groups = caller.groups.length === 0 ? "-" : caller.groups.join(",")
    const child = spawn(command[0]!, [...command.slice(1), String(caller.uid), String(caller.gid), groups, (caller.umask ?? 0o022).toString(8)], {
      shell: false,
      stdio: ["pipe", "pipe", "inherit"],
      env: { PATH: process.env["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" }
    })
    const waiting: Array<{ resolve: (a: HelperAnswer) => void; reject: (e: Error) => void }> = []
    let ended: Error | undefined
    const fail = (error: Error) => {
      ended ??= error
      for (const w of waiting.splice(0)) w.reject(ended)
    }
    child.on("error", (error) => fail(new Error(`cannot start the migration helper: ${error.message}`)))
    child.on("exit", (code, signal) => fail(new Error(`the migration helper stopped (${signal ?? `exit status ${code}`})`)))
    child.stdin!.on("error", () => {})
    createInterface({ input: child.stdout!, crlfDelay: Infinity }).on("line", (line) => {
      const next = waiting.shift()
      try {
        next?.resolve(JSON.parse(line) as HelperAnswer)
      } catch {
        next?.reject(new Error(`the migration helper said something unreadable: ${line.slice(0, 200)}`))
      }
    })
    const answer = () => new Promise<HelperAnswer>((res, rej) => (ended === undefined ? waiting.push({ resolve: res, reject: rej }) : rej(ended)))
    let queue: Promise<unknown> = Promise.resolve()
    const performer: Performer = (request) => {
      const result = queue.then(async () => {
        const pending = answer()
        child.stdin!.write(`${JSON.stringify(request)}\n`)
        const a = await pending
        if (a.ok) return a.value
        throw Object.assign(new Error(a.message), { code: a.code })
      })
      queue = result.catch(() => {})
      return result
    }
    answer().then(
      (first) => (first.ok
        ? resolve({
          perform: performer,
          close: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done()
              child.once("exit", () => done())
              child.stdin!.end()
            })
        })
        : (child.kill("SIGKILL"), reject(new Error(first.message)))),
      reject
    )
  })

export const make = (options: MigrationFilesLiveOptions): MigrationFilesShape => {
  const forCaller = (caller: Caller): Effect.Effect<TreeAccess, never, Scope.Scope> =>
    Effect.gen(function*() {
      const inProcess = caller.uid === 0 || options.helper === undefined
      let helper: Promise<{ perform: Performer; close: () => Promise<void> }> | undefined
      yield* Effect.addFinalizer(() => (helper === undefined ? Effect.void : Effect.promise(() => helper!.then((h) => h.close(), () => {}))))
      const performer: Performer = inProcess
        ? perform
        : (request, onBytes) => (helper ??= startHelper(options.helper!, caller)).then((h) => h.perform(request, onBytes))
      const run = <A>(operation: string, file: string, request: OpRequest, onBytes?: (total: number) => void) =>
        Effect.tryPromise({ try: () => performer(request, onBytes) as Promise<A>, catch: (cause) => fileErrorFrom(operation, file, cause) })
      const confine = (file: string) =>
        Effect.gen(function*() {
          const confinement = yield* options.confinement
          const written = confinementProblem(file, confinement)
          if (written !== undefined) return yield* Effect.fail(outsideRoots("migrate", file, written))
          const real = yield* run<string>("resolve", file, { op: "realPath", path: file })
          const landed = confinementProblem(real, confinement)
          if (landed !== undefined) return yield* Effect.fail(outsideRoots("migrate", file, `it leads to ${real}, and ${landed}`))
        })
      return {
        confine,
        lstat: (file) => Effect.map(run<EntryInfo | null>("inspect", file, { op: "lstat", path: file }), (info) => info ?? undefined),
        list: (dir) => run("list", dir, { op: "list", path: dir }),
        readXattrs: (paths) => run("read the extended attributes of", paths[0] ?? "", { op: "readXattrs", paths, everything: caller.uid === 0 }),
        copy: (request, onBytes) => run("copy", request.from, { op: "copy", ...request }, onBytes),
        hash: (file) => run("hash", file, { op: "hash", path: file }),
        publish: (temporary, target, sync = true) => run("create", target, { op: "publish", temporary, target, sync }),
        makeDirectory: (dir) => run("create directory", dir, { op: "makeDirectory", path: dir }),
        symlink: (target, file) => run("create symbolic link", file, { op: "symlink", target, path: file }),
        readLink: (file) => run("read symbolic link", file, { op: "readLink", path: file }),
        setMetadata: (file, meta, xattrs, isLink) => run("set the attributes of", file, { op: "setMetadata", path: file, meta, xattrs, isLink }),
        remove: (file) => run("remove", file, { op: "remove", path: file }),
        syncDirectory: (dir) => run("sync directory", dir, { op: "syncDirectory", path: dir }),
        freeBytes: (dir) => run("measure the free space of", dir, { op: "freeBytes", path: dir })
      } satisfies TreeAccess
    })
  return { journalDir: options.journalDir, forCaller }
}

export const layer = (options: MigrationFilesLiveOptions): Layer.Layer<MigrationFiles> => Layer.succeed(MigrationFiles, make(options))

