/**
 * Readers hold a read lock (docs/store-format.md §7.4): gc and forget refuse
 * to run while a restore reads, naming it; the restore completes; a reader
 * refuses to start under a running gc; and the record of a reader that was
 * killed (or whose pid now belongs to another process) does not block.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert, layer } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber } from "effect"
import * as Files from "../../src/adapters/fs/Files.ts"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import * as Repository from "../../src/chunkstore/Repository.ts"
import { observeTree, randomData, smallStore, textData, writeTree } from "./support.ts"

const BUN = path.resolve("node_modules/.bin/bun")
const HOLDER = path.resolve("test/chunkstore/fixtures/holdReadLock.ts")

const tagOf = <A, E>(exit: Exit.Exit<A, E>): string =>
  Exit.isSuccess(exit) ? "Success" : String((exit.cause.reasons[0] as { error?: { _tag?: string } } | undefined)?.error?._tag ?? "Defect")
const messageOf = <A, E>(exit: Exit.Exit<A, E>): string =>
  Exit.isSuccess(exit) ? "" : String((exit.cause.reasons[0] as { error?: { message?: string } } | undefined)?.error?.message)

/** A store with two snapshots; the first is forgotten, so gc has packs to delete or rewrite. */
const storeWithGarbage = Effect.gen(function*() {
  const { dir, repo } = yield* smallStore()
  const src = path.join(dir, "src")
  yield* writeTree(src, [{ type: "file", path: "old.bin", bytes: randomData("lock-old", 400_000), mode: 0o644, mtime: 1 }])
  const first = yield* repo.add([src])
  yield* Effect.promise(() => fs.rm(path.join(src, "old.bin")))
  yield* writeTree(src, [
    { type: "file", path: "keep.bin", bytes: randomData("lock-keep", 300_000), mode: 0o644, mtime: 2 },
    { type: "file", path: "keep.txt", bytes: textData("lock-keep", 100_000), mode: 0o644, mtime: 3 }
  ])
  const second = yield* repo.add([src])
  yield* repo.forget(first.snapshot)
  return { dir, repo, src, snapshot: second.snapshot }
})

/** Files whose first pack read waits for `gate`, after opening `reached`. */
const pausingFiles = (reached: Deferred.Deferred<void>, gate: Deferred.Deferred<void>) =>
  Effect.gen(function*() {
    const files = yield* Files.Files
    let paused = false
    return {
      ...files,
      openRead: (file, options) =>
        file.includes("/packs/") && !paused
          ? Effect.andThen(
            Effect.sync(() => (paused = true)),
            Effect.andThen(Deferred.succeed(reached, undefined), Effect.andThen(Deferred.await(gate), files.openRead(file, options)))
          )
          : files.openRead(file, options)
    } satisfies Files.FilesShape
  })

/** Starts the read-lock holder in its own process; resolves once it holds the lock. */
const holdReadLockInChild = (storeDir: string) =>
  Effect.acquireRelease(
    Effect.callback<ReturnType<typeof spawn>, Error>((resume) => {
      const child = spawn(BUN, [HOLDER, storeDir], { stdio: ["ignore", "pipe", "pipe"] })
      let stderr = ""
      child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
      child.on("error", (error) => resume(Effect.fail(new Error(`cannot start ${BUN}: ${error.message}`))))
      child.on("exit", (code) => resume(Effect.fail(new Error(`the lock holder exited ${code}: ${stderr}`))))
      child.stdout!.on("data", (chunk: Buffer) => {
        if (chunk.toString().includes("locked")) resume(Effect.succeed(child))
      })
    }),
    (child) => Effect.sync(() => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"))
  )

const killAndWait = (child: ReturnType<typeof spawn>) =>
  Effect.callback<void>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
    child.on("exit", () => resume(Effect.void))
    child.kill("SIGKILL")
  })

layer(FilesLive.layer)("store read locks", (it) => {
  it.effect("gc and forget refuse while a restore reads, naming it; the restore completes; gc runs after", () =>
    Effect.gen(function*() {
      const { dir, repo, src, snapshot } = yield* storeWithGarbage
      const reached = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      const files = yield* pausingFiles(reached, gate)
      const reader = yield* Effect.provideService(Repository.open(repo.dir), Files.Files, files)
      const out = path.join(dir, "out")
      const restoring = yield* Effect.forkChild(reader.restore(snapshot, out))
      yield* Deferred.await(reached)

      const gc = yield* Effect.exit(repo.gc())
      assert.strictEqual(tagOf(gc), "RepoLocked")
      assert.match(messageOf(gc), /busy: locked by a reader: restore \(pid \d+ on host .*, since .*\) \(gc deletes files they may read\)/)
      assert.strictEqual(tagOf(yield* Effect.exit(repo.forget(snapshot))), "RepoLocked")
      // Another reader and an add are fine meanwhile.
      assert.isTrue((yield* repo.verify()).ok)
      assert.notInclude(yield* Effect.promise(() => fs.readdir(repo.dir)), "lock")

      yield* Deferred.succeed(gate, undefined)
      const restored = yield* Fiber.join(restoring)
      assert.strictEqual(restored.files, 2)
      assert.deepStrictEqual(yield* observeTree(path.join(out, "src")), yield* observeTree(src))
      assert.deepStrictEqual(yield* Effect.promise(() => fs.readdir(path.join(repo.dir, "locks"))), [])
      const collected = yield* repo.gc()
      assert.isAbove(collected.chunksRemoved, 0)
      assert.isTrue((yield* repo.verify()).ok)
    }).pipe(Effect.scoped))

  it.effect("a reader refuses to start while gc holds the lock, and starts once it is gone", () =>
    Effect.gen(function*() {
      const { repo, snapshot } = yield* storeWithGarbage
      const lockFile = path.join(repo.dir, "lock")
      yield* Effect.promise(() =>
        fs.writeFile(lockFile, JSON.stringify({ pid: process.pid, host: os.hostname(), operation: "gc", since: "now", nonce: "x" }))
      )
      const refused = yield* Effect.exit(repo.snapshot(snapshot))
      assert.strictEqual(tagOf(refused), "RepoLocked")
      assert.match(messageOf(refused), /locked by gc \(pid \d+/)
      assert.deepStrictEqual(yield* Effect.promise(() => fs.readdir(path.join(repo.dir, "locks"))), [], "the refused reader's record is gone")
      // An add's lock does not stop readers.
      yield* Effect.promise(() =>
        fs.writeFile(lockFile, JSON.stringify({ pid: process.pid, host: os.hostname(), operation: "add", since: "now", nonce: "x" }))
      )
      assert.strictEqual((yield* repo.snapshot(snapshot)).id, snapshot)
      yield* Effect.promise(() => fs.rm(lockFile))
    }).pipe(Effect.scoped))

  it.effect("a reader in another process blocks gc until it is killed; then its record is broken as stale", () =>
    Effect.gen(function*() {
      const { repo } = yield* storeWithGarbage
      const child = yield* holdReadLockInChild(repo.dir)
      const blocked = yield* Effect.exit(repo.gc())
      assert.strictEqual(tagOf(blocked), "RepoLocked")
      assert.include(messageOf(blocked), `restore (pid ${child.pid} on host`)
      yield* killAndWait(child)
      assert.strictEqual((yield* Effect.promise(() => fs.readdir(path.join(repo.dir, "locks")))).length, 1, "the killed reader left its record")
      const collected = yield* repo.gc()
      assert.isAbove(collected.chunksRemoved, 0)
      assert.deepStrictEqual(yield* Effect.promise(() => fs.readdir(path.join(repo.dir, "locks"))), [])
    }).pipe(Effect.scoped))

  it.effect("a record whose pid now belongs to a process started at another time is stale; one matching it is not", () =>
    Effect.gen(function*() {
      const { repo } = yield* storeWithGarbage
      const host = os.hostname()
      const stat = yield* Effect.promise(() => fs.readFile("/proc/1/stat", "utf8"))
      const start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!
      const locks = path.join(repo.dir, "locks")
      yield* Effect.promise(() => fs.mkdir(locks, { recursive: true }))
      const record = (startTime: string) => JSON.stringify({ pid: 1, start: startTime, host, operation: "verify", since: "then", nonce: "n" })
      yield* Effect.promise(() => fs.writeFile(path.join(locks, "1-live"), record(start)))
      const blocked = yield* Effect.exit(repo.gc())
      assert.strictEqual(tagOf(blocked), "RepoLocked")
      assert.include(messageOf(blocked), "verify (pid 1 on host")
      yield* Effect.promise(() => fs.writeFile(path.join(locks, "1-live"), record(String(Number(start) + 12345))))
      yield* repo.gc()
      assert.deepStrictEqual(yield* Effect.promise(() => fs.readdir(locks)), [])
    }).pipe(Effect.scoped))
})
