import { spawn } from "node:child_process"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Latch, type Scope } from "effect"
import {
  type FileInfo,
  type FilesShape,
  removeStaleTemporaries,
  targetOfTemporary,
  temporaryName,
  type WalkEntry
} from "../../../src/adapters/fs/Files.ts"
import * as FilesLive from "../../../src/adapters/fs/FilesLive.ts"
import * as FilesTest from "../../../src/adapters/fs/FilesTest.ts"

const bytes = (text: string) => new TextEncoder().encode(text)
const text = (data: Uint8Array) => new TextDecoder().decode(data)

/** A directory to work in, and the Files to work with. */
interface Setup {
  readonly files: FilesShape
  readonly dir: string
}

const liveSetup = (options: FilesLive.FilesLiveOptions): Effect.Effect<Setup, never, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(
      Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "sigmavault-files-"))),
      (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
    ),
    (dir) => ({ files: FilesLive.make(options), dir })
  )

const memorySetup: Effect.Effect<Setup, never, Scope.Scope> = Effect.gen(function*() {
  const files = FilesTest.make().service
  yield* Effect.orDie(files.makeDirectory("/work", { recursive: true }))
  return { files, dir: "/work" }
})

/** Walks `dir`, recording what the visitor was told. */
const walkOf = (files: FilesShape, dir: string, stopAfter = Infinity, crossFilesystems = false) =>
  Effect.gen(function*() {
    const entries: Array<WalkEntry> = []
    const left: Array<string> = []
    const unreadable: Array<string> = []
    yield* files.walk(dir, {
      entry: (entry) => (entries.push(entry), entries.length < stopAfter),
      leave: (left_) => void left.push(left_),
      unreadable: (at, error) => void unreadable.push(`${at}: ${error.reason}`)
    }, { crossFilesystems })
    return { entries, left, unreadable }
  })

const contract = (name: string, setup: Effect.Effect<Setup, never, Scope.Scope>) =>
  describe(`${name}: the shared contract`, () => {
    it.effect("an atomic write appears whole, refuses to replace unless told, and leaves no temporary file", () =>
      Effect.gen(function*() {
        const { dir, files } = yield* setup
        const file = path.join(dir, "state.json")
        yield* files.writeAtomic(file, [bytes("{\"a\":"), bytes("1}")])
        assert.strictEqual(text(yield* files.readFile(file)), "{\"a\":1}")
        const refused = yield* Effect.flip(files.writeAtomic(file, bytes("other")))
        assert.strictEqual(refused.reason, "Exists")
        assert.strictEqual(refused.message, `cannot create ${file}: it already exists`)
        assert.strictEqual(text(yield* files.readFile(file)), "{\"a\":1}")
        yield* files.writeAtomic(file, bytes("{\"a\":2}"), { replace: true })
        assert.strictEqual(text(yield* files.readFile(file)), "{\"a\":2}")
        assert.deepStrictEqual(yield* files.list(dir), ["state.json"])
      }).pipe(Effect.scoped))

    it.effect("a streamed atomic write that ends without commit, or is interrupted, leaves nothing behind", () =>
      Effect.gen(function*() {
        const { dir, files } = yield* setup
        const file = path.join(dir, "out.bin")
        const failed = yield* Effect.exit(Effect.scoped(Effect.gen(function*() {
          const output = yield* files.openAtomic(file)
          yield* output.write(bytes("half"))
          return yield* Effect.fail("the producer failed" as const)
        })))
        assert.isTrue(Exit.isFailure(failed))
        const started = yield* Latch.make()
        const fiber = yield* Effect.forkChild(Effect.scoped(Effect.gen(function*() {
          const output = yield* files.openAtomic(file)
          yield* output.write(bytes("half"))
          yield* started.open
          yield* Effect.never
        })))
        yield* started.await
        assert.strictEqual((yield* files.list(dir)).length, 1, "the temporary file exists while writing")
        assert.isDefined(targetOfTemporary((yield* files.list(dir))[0]!))
        yield* Fiber.interrupt(fiber)
        assert.deepStrictEqual(yield* files.list(dir), [])
      }).pipe(Effect.scoped))

    it.effect("commit can name the file, set its mode and time, and refuses a name taken meanwhile", () =>
      Effect.gen(function*() {
        const { dir, files } = yield* setup
        yield* Effect.scoped(Effect.gen(function*() {
          const output = yield* files.openAtomic(path.join(dir, "pack"))
          yield* output.write(bytes("content"))
          yield* output.commit({ as: path.join(dir, "abc.pack"), mode: 0o640, modifiedNs: 1_700_000_000_000_000_000n })
        }))
        const info = yield* files.stat(path.join(dir, "abc.pack"))
        assert.deepStrictEqual([info.type, info.size, info.mode, info.modifiedNs / 1_000_000n], ["file", 7, 0o640, 1_700_000_000_000n])
        const taken = yield* Effect.flip(Effect.scoped(Effect.gen(function*() {
          const output = yield* files.openAtomic(path.join(dir, "late"))
          yield* output.write(bytes("mine"))
          yield* files.writeAtomic(path.join(dir, "late"), bytes("theirs"))
          yield* output.commit()
        })))
        assert.strictEqual(taken.reason, "Exists")
        assert.strictEqual(text(yield* files.readFile(path.join(dir, "late"))), "theirs")
        assert.deepStrictEqual(yield* files.list(dir), ["abc.pack", "late"])
      }).pipe(Effect.scoped))

    it.effect("reads fill the buffer until the end of the file, in order or at a position", () =>
      Effect.gen(function*() {
        const { dir, files } = yield* setup
        const file = path.join(dir, "data")
        yield* files.writeAtomic(file, bytes("0123456789"))
        yield* Effect.scoped(Effect.gen(function*() {
          const reader = yield* files.openRead(file)
          assert.strictEqual(reader.info.size, 10)
          const buffer = new Uint8Array(4)
          const reads: Array<string> = []
          for (let n = yield* reader.read(buffer); n > 0; n = yield* reader.read(buffer)) reads.push(text(buffer.subarray(0, n)))
          assert.deepStrictEqual(reads, ["0123", "4567", "89"])
          assert.strictEqual(yield* reader.readAt(buffer, 3), 4)
          assert.strictEqual(text(buffer), "3456")
          assert.strictEqual(yield* reader.readAt(buffer, 12), 0)
        }))
        const big = yield* Effect.flip(files.readFile(file, { maxBytes: 9 }))
        assert.strictEqual(big.reason, "TooLarge")
        assert.strictEqual(text(yield* files.readFile(file, { maxBytes: 10 })), "0123456789")
      }).pipe(Effect.scoped))

    it.effect("a symbolic link is followed by default and refused when asked", () =>
      Effect.gen(function*() {
        const { dir, files } = yield* setup
        yield* files.writeAtomic(path.join(dir, "real"), bytes("x"))
        yield* files.symlink("real", path.join(dir, "link"))
        assert.strictEqual(yield* files.readLink(path.join(dir, "link")), "real")
        assert.strictEqual((yield* files.stat(path.join(dir, "link"))).type, "symlink")
        assert.strictEqual((yield* files.stat(path.join(dir, "link"), { followSymlinks: true })).type, "file")
        const read = yield* Effect.scoped(Effect.flatMap(files.openRead(path.join(dir, "link")), (reader) => Effect.succeed(reader.info.size)))
        assert.strictEqual(read, 1)
        const refused = yield* Effect.flip(Effect.scoped(files.openRead(path.join(dir, "link"), { followSymlinks: false })))
        assert.strictEqual(refused.reason, "SymbolicLink")
      }).pipe(Effect.scoped))

    it.effect("an append file says whether it was created, grows durably and can be cut back", () =>
      Effect.gen(function*() {
        const { dir, files } = yield* setup
        const file = path.join(dir, "journal")
        yield* Effect.scoped(Effect.gen(function*() {
          const log = yield* files.openAppend(file)
          assert.deepStrictEqual([log.created, log.size], [true, 0])
          yield* log.append(bytes("one\n"))
          yield* log.append(bytes("two\n"))
          yield* log.truncate(4)
          yield* log.append(bytes("three\n"))
          const buffer = new Uint8Array(5)
          assert.strictEqual(yield* log.readAt(buffer, 4), 5)
          assert.strictEqual(text(buffer), "three")
        }))
        const again = yield* Effect.scoped(Effect.map(files.openAppend(file, { create: false }), (log) => [log.created, log.size]))
        assert.deepStrictEqual(again, [false, 10])
        assert.strictEqual(text(yield* files.readFile(file)), "one\nthree\n")
        const missing = yield* Effect.flip(Effect.scoped(files.openAppend(path.join(dir, "none"), { create: false })))
        assert.strictEqual(missing.message, `cannot open ${path.join(dir, "none")}: no such file or directory`)
      }).pipe(Effect.scoped))

    it.effect("directories: made with their parents, listed sorted, removed only when empty; a missing file is removed quietly", () =>
      Effect.gen(function*() {
        const { dir, files } = yield* setup
        yield* files.makeDirectory(path.join(dir, "a", "b"), { recursive: true, mode: 0o700 })
        yield* files.makeDirectory(path.join(dir, "a", "b"), { recursive: true })
        assert.strictEqual((yield* Effect.flip(files.makeDirectory(path.join(dir, "a")))).reason, "Exists")
        yield* files.writeAtomic(path.join(dir, "a", "z"), bytes(""))
        yield* files.writeAtomic(path.join(dir, "a", "m"), bytes(""))
        assert.deepStrictEqual(yield* files.list(path.join(dir, "a")), ["b", "m", "z"])
        assert.strictEqual((yield* files.stat(path.join(dir, "a", "b"))).type, "directory")
        assert.strictEqual((yield* Effect.flip(files.remove(path.join(dir, "a")))).reason, "Exists")
        yield* files.remove(path.join(dir, "a", "b"))
        yield* files.remove(path.join(dir, "a", "gone"))
        assert.deepStrictEqual(yield* files.list(path.join(dir, "a")), ["m", "z"])
        const missing = yield* Effect.flip(files.list(path.join(dir, "nowhere")))
        assert.strictEqual(missing.reason, "NotFound")
        assert.strictEqual(missing.message, `cannot list ${path.join(dir, "nowhere")}: no such file or directory`)
        assert.strictEqual((yield* Effect.flip(files.list(path.join(dir, "a", "m")))).reason, "NotDirectory")
      }).pipe(Effect.scoped))

    it.effect("stale temporary files are swept, and nothing else", () =>
      Effect.gen(function*() {
        const { dir, files } = yield* setup
        const stale = temporaryName(path.join(dir, "index.json"), 4242, "0badc0ffee00")
        const other = temporaryName(path.join(dir, "other"), 1, "0123456789ab")
        for (const file of [stale, other, path.join(dir, "index.json"), path.join(dir, "notes.tmp-1-2")]) {
          yield* files.writeAtomic(file, bytes("x"))
        }
        assert.deepStrictEqual(yield* removeStaleTemporaries(files, dir, "index.json"), [stale])
        assert.deepStrictEqual(yield* removeStaleTemporaries(files, dir), [other])
        assert.deepStrictEqual(yield* files.list(dir), ["index.json", "notes.tmp-1-2"])
      }).pipe(Effect.scoped))

    it.effect("the walk reports every entry once, never follows a symbolic link, counts a hard link once and can stop", () =>
      Effect.gen(function*() {
        const { dir, files } = yield* setup
        yield* files.makeDirectory(path.join(dir, "tree", "sub", "deep"), { recursive: true })
        yield* files.writeAtomic(path.join(dir, "tree", "a.txt"), bytes("hello"))
        yield* files.writeAtomic(path.join(dir, "tree", "sub", "deep", "b.bin"), bytes("0123456789"))
        yield* files.symlink("/", path.join(dir, "tree", "escape"))
        const walked = yield* walkOf(files, path.join(dir, "tree"))
        const relative = (entry: WalkEntry) => path.relative(path.join(dir, "tree"), entry.path)
        assert.deepStrictEqual(walked.entries.map((entry) => `${relative(entry)} ${entry.info.type}`), [
          "a.txt file",
          "escape symlink",
          "sub directory",
          "sub/deep directory",
          "sub/deep/b.bin file"
        ])
        assert.deepStrictEqual(walked.left.map((left) => path.relative(dir, left)), ["tree/sub/deep", "tree/sub", "tree"])
        const stopped = yield* walkOf(files, path.join(dir, "tree"), 3)
        assert.strictEqual(stopped.entries.length, 3)
        assert.deepStrictEqual(stopped.left.map((left) => path.relative(dir, left)), ["tree"])
        const notDirectory = yield* Effect.flip(walkOf(files, path.join(dir, "tree", "a.txt")))
        assert.strictEqual(notDirectory.message, `cannot walk ${path.join(dir, "tree", "a.txt")}: not a directory`)
      }).pipe(Effect.scoped))
  })

contract("FilesLive", liveSetup({}))
contract("FilesLive, blocking", liveSetup({ blocking: true }))
contract("FilesTest", memorySetup)

describe("FilesLive on disk", () => {
  it.effect("a hard link is reported as seen before, and its bytes are the same file's", () =>
    Effect.gen(function*() {
      const { dir, files } = yield* liveSetup({})
      yield* files.writeAtomic(path.join(dir, "one"), bytes("1234"))
      yield* Effect.promise(() => fs.link(path.join(dir, "one"), path.join(dir, "two")))
      const walked = yield* walkOf(files, dir)
      assert.deepStrictEqual(walked.entries.map((entry) => [entry.name, entry.seenBefore]), [["one", false], ["two", true]])
    }).pipe(Effect.scoped))

  it.effect("for a command, a write first removes its target's temporaries whose writer is gone, and nothing else", () =>
    Effect.gen(function*() {
      const { dir } = yield* liveSetup({})
      const files = FilesLive.make({ blocking: true, sweepAbandoned: true })
      // A pid that was just in use and is not any more: a child that has exited.
      const gone = yield* Effect.promise(() =>
        new Promise<number>((resolve) => {
          const child = spawn(process.execPath, ["-e", ""])
          child.on("exit", () => resolve(child.pid!))
        })
      )
      const at = (name: string) => path.join(dir, name)
      const leftovers = {
        dead: `out.tmp-${gone}-0123456789ab`,
        running: `out.tmp-${process.ppid}-0123456789ab`,
        otherTarget: `other.tmp-${gone}-0123456789ab`,
        notATemporary: `out.tmp-${gone}-xyz`
      }
      for (const name of Object.values(leftovers)) yield* Effect.promise(() => fs.writeFile(at(name), "partial"))
      yield* Effect.promise(() => fs.symlink("/etc/passwd", at(`out.tmp-${gone}-ba9876543210`)))
      yield* files.writeAtomic(at("out"), bytes("whole"))
      assert.deepStrictEqual(yield* files.list(dir), [
        leftovers.otherTarget,
        "out",
        leftovers.running,
        `out.tmp-${gone}-ba9876543210`,
        leftovers.notATemporary
      ].sort())
      // Without the option (the daemon, the libraries), nothing is swept.
      yield* Effect.promise(() => fs.writeFile(at(leftovers.dead), "partial"))
      yield* FilesLive.make({ blocking: true }).writeAtomic(at("out"), bytes("again"), { replace: true })
      assert.include(yield* files.list(dir), leftovers.dead)
    }).pipe(Effect.scoped))

  it.effect("a new file gets the mode asked for, less the umask", () =>
    Effect.gen(function*() {
      const { dir, files } = yield* liveSetup({})
      yield* files.writeAtomic(path.join(dir, "secret"), bytes("x"))
      const info: FileInfo = yield* files.stat(path.join(dir, "secret"))
      assert.strictEqual(info.mode, 0o600)
    }).pipe(Effect.scoped))
})

describe("FilesTest: durability and faults", () => {
  const seeded = Effect.gen(function*() {
    const test = FilesTest.make()
    yield* test.service.makeDirectory("/data", { recursive: true })
    yield* test.service.writeAtomic("/data/state", bytes("old"))
    return test
  })

  it.effect("after a crash an atomic write left the old file or the new one", () =>
    Effect.gen(function*() {
      const test = yield* seeded
      yield* test.service.writeAtomic("/data/state", bytes("new"), { replace: true })
      test.crash()
      assert.strictEqual(text(yield* test.service.readFile("/data/state")), "new")
      assert.deepStrictEqual(test.paths(), ["/data", "/data/state"])
    }))

  it.effect("a failed directory fsync fails the write, and a crash then leaves the old file", () =>
    Effect.gen(function*() {
      const test = yield* seeded
      test.fail({ step: "syncDirectory", path: "/data", reason: "Other", times: 1 })
      const error = yield* Effect.flip(test.service.writeAtomic("/data/state", bytes("new"), { replace: true }))
      assert.deepStrictEqual([error.reason, error.operation, error.path], ["Other", "sync directory", "/data"])
      test.crash()
      assert.strictEqual(text(yield* test.service.readFile("/data/state")), "old")
    }))

  it.effect("a full disk fails a write part way; the atomic write leaves nothing, an append leaves what fitted", () =>
    Effect.gen(function*() {
      const test = yield* seeded
      test.setFreeSpace(5)
      const full = yield* Effect.flip(test.service.writeAtomic("/data/big", bytes("0123456789")))
      assert.strictEqual(full.message, "cannot write /data/big: no space left on the device")
      assert.deepStrictEqual(yield* test.service.list("/data"), ["state"])
      test.setFreeSpace(3)
      const log = yield* test.service.openAppend("/data/log")
      assert.strictEqual((yield* Effect.flip(log.append(bytes("abcdef")))).reason, "NoSpace")
      assert.strictEqual(text(yield* test.service.readFile("/data/log")), "abc")
      yield* log.truncate(0)
      assert.strictEqual((yield* test.service.readFile("/data/log")).byteLength, 0)
    }).pipe(Effect.scoped))

  it.effect("bytes not fsynced, and entries of a directory not fsynced, are lost in a crash", () =>
    Effect.gen(function*() {
      const test = yield* seeded
      const log = yield* test.service.openAppend("/data/log")
      yield* log.append(bytes("kept\n"))
      yield* test.service.symlink("state", "/data/link")
      test.crash()
      assert.deepStrictEqual(test.paths(), ["/data", "/data/log", "/data/state"])
      assert.strictEqual(text(yield* test.service.readFile("/data/log")), "kept\n")
      assert.strictEqual((yield* Effect.flip(log.append(bytes("after")))).reason, "Closed")
    }).pipe(Effect.scoped))

  it.effect("an unreadable directory is reported and the walk goes on", () =>
    Effect.gen(function*() {
      const test = yield* seeded
      yield* test.service.makeDirectory("/data/closed")
      test.fail({ step: "list", path: "/data/closed", reason: "PermissionDenied" })
      const walked = yield* walkOf(test.service, "/data")
      assert.deepStrictEqual(walked.unreadable, ["/data/closed: PermissionDenied"])
      assert.deepStrictEqual(walked.entries.map((entry) => entry.name), ["closed", "state"])
    }))

  it.effect("a mounted directory is another filesystem: the walk reports it and does not enter unless asked", () =>
    Effect.gen(function*() {
      const test = yield* seeded
      yield* test.service.makeDirectory("/data/mnt/inner", { recursive: true })
      test.mount("/data/mnt")
      const once = yield* walkOf(test.service, "/data")
      assert.deepStrictEqual(once.entries.map((entry) => `${entry.name} ${entry.otherFilesystem}`), ["mnt true", "state false"])
      const crossed = yield* walkOf(test.service, "/data", Infinity, true)
      assert.deepStrictEqual(crossed.entries.map((entry) => entry.name), ["mnt", "inner", "state"])
    }))
})
