import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, type Scope } from "effect"
import { StateStore, type StateStoreShape } from "../../../src/adapters/state/StateStore.ts"
import * as FilesLive from "../../../src/adapters/fs/FilesLive.ts"
import * as FilesTest from "../../../src/adapters/fs/FilesTest.ts"
import * as StateStoreLive from "../../../src/adapters/state/StateStoreLive.ts"
import * as StateStoreTest from "../../../src/adapters/state/StateStoreTest.ts"

/** A fresh directory under the OS temp dir, removed when the test's scope closes. */
const tempDir = Effect.acquireRelease(
  Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "sigmavault-state-"))),
  (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
)

const files = FilesLive.make()

const put = (file: string, text: string) => Effect.promise(() => fs.writeFile(file, text))
const list = (dir: string) => Effect.promise(() => fs.readdir(dir))

/** Behaviour both implementations share. */
const contract = (name: string, store: Effect.Effect<StateStoreShape, never, Scope.Scope>) =>
  describe(`${name}: the shared contract`, () => {
    it.effect("reads back what was written, and none for a key never written", () =>
      Effect.gen(function*() {
        const s = yield* store
        assert.isTrue(Option.isNone(yield* s.read("orbit")))
        yield* s.write("orbit", { lastRuns: { a: 1 }, note: "ü" })
        assert.deepStrictEqual(yield* s.read("orbit"), Option.some({ lastRuns: { a: 1 }, note: "ü" }))
        yield* s.write("orbit", [1, 2])
        assert.deepStrictEqual(yield* s.read("orbit"), Option.some([1, 2]))
        yield* s.write("orbit", null)
        assert.deepStrictEqual(yield* s.read("orbit"), Option.some(null))
      }).pipe(Effect.scoped))

    it.effect("refuses keys that are not lowercase names, saying why", () =>
      Effect.gen(function*() {
        const s = yield* store
        for (const key of ["../etc/passwd", "Orbit", "", "-x", "a.b", "a/b"]) {
          const error = yield* Effect.flip(s.write(key, 1))
          assert.strictEqual(error._tag, "InvalidStateKey")
          assert.include(error.message, "lowercase letters, digits and '-'")
          assert.strictEqual((yield* Effect.flip(s.read(key)))._tag, "InvalidStateKey")
        }
      }).pipe(Effect.scoped))

    it.effect("refuses a value JSON cannot hold instead of storing something else", () =>
      Effect.gen(function*() {
        const s = yield* store
        const cyclic: Record<string, unknown> = {}
        cyclic["self"] = cyclic
        assert.strictEqual((yield* Effect.flip(s.write("cyclic", cyclic)))._tag, "StateNotSerializable")
        assert.strictEqual((yield* Effect.flip(s.write("nothing", undefined)))._tag, "StateNotSerializable")
        assert.strictEqual((yield* Effect.flip(s.write("big", 1n)))._tag, "StateNotSerializable")
        assert.isTrue(Option.isNone(yield* s.read("cyclic")))
      }).pipe(Effect.scoped))
  })

contract("StateStoreLive", Effect.map(tempDir, (dir) => StateStoreLive.make(files, dir)))
contract("StateStoreTest", StateStoreTest.make())

describe("StateStoreLive on disk", () => {
  it.effect("writes <dir>/<key>.json with a version header and leaves no temporary file", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const store = StateStoreLive.make(files, dir)
      yield* store.write("orbit", { a: 1 })
      yield* store.write("orbit", { a: 2 })
      assert.deepStrictEqual(yield* list(dir), ["orbit.json"])
      const text = yield* Effect.promise(() => fs.readFile(path.join(dir, "orbit.json"), "utf8"))
      assert.deepStrictEqual(JSON.parse(text), { version: 1, data: { a: 2 } })
    }).pipe(Effect.scoped))

  it.effect("creates the state directory on first write", () =>
    Effect.gen(function*() {
      const dir = path.join(yield* tempDir, "nested", "state")
      const store = StateStoreLive.make(files, dir)
      assert.isTrue(Option.isNone(yield* store.read("orbit")))
      yield* store.write("orbit", 1)
      assert.deepStrictEqual(yield* store.read("orbit"), Option.some(1))
    }).pipe(Effect.scoped))

  it.effect("a torn file is a StateFileCorrupt naming the file, and a good write replaces it", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "orbit.json")
      const store = StateStoreLive.make(files, dir)
      yield* put(file, `{"version":1,"data":{"lastRu`)
      const torn = yield* Effect.flip(store.read("orbit"))
      assert.strictEqual(torn._tag, "StateFileCorrupt")
      assert.include(torn.message, file)
      assert.include(torn.message, "not valid JSON")
      yield* store.write("orbit", { ok: true })
      assert.deepStrictEqual(yield* store.read("orbit"), Option.some({ ok: true }))
    }).pipe(Effect.scoped))

  it.effect("JSON without the version header, or with a bad version, is corrupt", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const store = StateStoreLive.make(files, dir)
      for (const text of [`{"lastRuns":{}}`, `{"version":1}`, `{"version":0,"data":1}`, `{"version":"1","data":1}`, `[]`, `""`]) {
        yield* put(path.join(dir, "orbit.json"), text)
        const error = yield* Effect.flip(store.read("orbit"))
        assert.strictEqual(error._tag, "StateFileCorrupt", text)
        assert.include(error.message, `{"version":1,"data":…}`)
      }
    }).pipe(Effect.scoped))

  it.effect("a document from a newer release is refused with StateVersionTooNew, not misread", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "orbit.json")
      yield* put(file, `{"version":2,"data":{"schedules":"new format"}}`)
      const error = yield* Effect.flip(StateStoreLive.make(files, dir).read("orbit"))
      assert.strictEqual(error._tag, "StateVersionTooNew")
      assert.include(error.message, file)
      assert.include(error.message, "format version 2")
    }).pipe(Effect.scoped))

  it.effect("an unwritable directory is a FileError, and the old document survives", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const store = StateStoreLive.make(files, dir)
      yield* store.write("orbit", "old")
      // The state "directory" is a regular file: creating or syncing anything under it fails.
      const notADir = path.join(dir, "orbit.json")
      const error = yield* Effect.flip(StateStoreLive.make(files, notADir).write("x", 1))
      assert.strictEqual(error._tag, "FileError")
      assert.include(error.message, notADir)
      assert.deepStrictEqual(yield* store.read("orbit"), Option.some("old"))
      assert.deepStrictEqual(yield* list(dir), ["orbit.json"])
    }).pipe(Effect.scoped))

  it.effect("a read that fails for another reason than absence is a FileError saying why", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* Effect.promise(() => fs.mkdir(path.join(dir, "orbit.json")))
      const error = yield* Effect.flip(StateStoreLive.make(files, dir).read("orbit"))
      assert.deepStrictEqual([error._tag, error.message], ["FileError", `cannot read ${path.join(dir, "orbit.json")}: it is a directory`])
    }).pipe(Effect.scoped))
})

describe("StateStoreTest", () => {
  it.effect("can be seeded, and hands out copies", () =>
    Effect.gen(function*() {
      const seeded = { lastRuns: { hourly: 5 } }
      const store = yield* StateStore
      const read = yield* store.read("orbit")
      assert.deepStrictEqual(read, Option.some(seeded))
      ;(Option.getOrThrow(read) as { lastRuns: Record<string, number> }).lastRuns["hourly"] = 6
      assert.deepStrictEqual(yield* store.read("orbit"), Option.some(seeded))
    }).pipe(Effect.provide(StateStoreTest.layer({ orbit: { lastRuns: { hourly: 5 } } }))))
})

describe("StateStoreLive over Files", () => {
  it.effect("a write whose directory fsync fails is an error, and a crash then leaves the old document", () =>
    Effect.gen(function*() {
      const disk = FilesTest.make()
      const store = StateStoreLive.make(disk.service, "/var/lib/sigmavault")
      yield* store.write("orbit", "old")
      disk.fail({ step: "syncDirectory", path: "/var/lib/sigmavault", reason: "Other", times: 1 })
      const error = yield* Effect.flip(store.write("orbit", "new"))
      assert.strictEqual(error._tag, "FileError")
      disk.crash()
      assert.deepStrictEqual(yield* store.read("orbit"), Option.some("old"))
      yield* store.write("orbit", "new")
      disk.crash()
      assert.deepStrictEqual(yield* store.read("orbit"), Option.some("new"))
    }))
})
