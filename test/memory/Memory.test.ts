import { createHash } from "node:crypto"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Scope } from "effect"
import type { MemoryShape } from "../../src/memory/Memory.ts"
import { Files } from "../../src/adapters/fs/Files.ts"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import { makeMemoryLive } from "../../src/memory/MemoryLive.ts"
import { makeInMemoryStorage, makeMemoryTest } from "../../src/memory/MemoryTest.ts"
import { SNAPSHOT_EVERY } from "../../src/memory/Store.ts"

const liveMemory = (dir: string) => makeMemoryLive(dir).pipe(Effect.provideService(Files, FilesLive.make()))

const tempDir = Effect.acquireRelease(
  Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "sigmavault-memory-"))),
  (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
)

const texts = [
  "pool tank degraded: disk sdb faulted with 12 checksum errors",
  "pool tank degraded: disk sdc faulted with 3 checksum errors",
  "scrub of pool backup finished with 0 errors in 2h31m",
  "SMART: disk sda reallocated sector count rose from 0 to 8",
  "share media exported over NFS to 192.168.1.0/24",
  "WireGuard peer laptop connected from 10.0.0.7"
]

/** What the file-backed and the in-memory stores both promise. */
const contract = (name: string, memory: Effect.Effect<MemoryShape, never, Scope.Scope>) =>
  describe(`${name}: the shared contract`, () => {
    it.effect("creates a text collection on first use and recalls exact, near-duplicate and similar records", () =>
      Effect.gen(function*() {
        const m = yield* memory
        for (const [i, text] of texts.entries()) {
          const done = yield* m.remember({ collection: "incidents", id: `i${i}`, text, meta: { n: i } })
          assert.isTrue(done.created)
        }
        const exact = yield* m.recall("incidents", { text: texts[2]!, k: 5, mode: "exact" })
        assert.strictEqual(exact.layer, "exact")
        assert.deepStrictEqual(exact.matches.map((x) => [x.id, x.score, x.meta]), [["i2", 1, { n: 2 }]])

        const absent = yield* m.recall("incidents", { text: "never seen anything like this", k: 5, mode: "exact" })
        assert.strictEqual(absent.layer, "bloom")
        assert.deepStrictEqual(absent.matches, [])

        const near = yield* m.recall("incidents", {
          text: "pool tank degraded: disk sdb faulted with 13 checksum errors",
          k: 5,
          mode: "near-duplicate"
        })
        assert.strictEqual(near.layer, "lsh")
        assert.strictEqual(near.matches[0]?.id, "i0")
        assert.isAtLeast(near.matches[0]!.score, 0.8)
        // MinHash's estimate of the Jaccard the exact check then measured: close, not equal.
        assert.approximately(near.matches[0]!.estimate!, near.matches[0]!.score, 0.15)

        const similar = yield* m.recall("incidents", { text: "disk faulted in pool tank", k: 2, mode: "similar" })
        assert.strictEqual(similar.layer, "hnsw")
        assert.strictEqual(similar.matches.length, 2)
        assert.sameMembers(similar.matches.map((x) => x.id), ["i0", "i1"])
      }).pipe(Effect.scoped))

    it.effect("auto mode says which layer answered, falling through exact, near-duplicate and similar", () =>
      Effect.gen(function*() {
        const m = yield* memory
        for (const [i, text] of texts.entries()) yield* m.remember({ collection: "c", id: `i${i}`, text })
        const exact = yield* m.recall("c", { text: texts[3]!.toUpperCase(), k: 3, mode: "auto" })
        assert.deepStrictEqual([exact.layer, exact.consulted], ["exact", ["bloom", "exact"]])
        const near = yield* m.recall("c", { text: texts[3]!.replace("8", "9"), k: 3, mode: "auto" })
        assert.strictEqual(near.layer, "lsh")
        assert.strictEqual(near.matches[0]?.id, "i3")
        const similar = yield* m.recall("c", { text: "wireguard peer", k: 1, mode: "auto" })
        assert.deepStrictEqual([similar.layer, similar.matches.map((x) => x.id)], ["hnsw", ["i5"]])
        assert.deepStrictEqual(similar.consulted, ["bloom", "lsh", "hnsw"])
      }).pipe(Effect.scoped))

    it.effect("upsert replaces a record; a forgotten id is never returned again", () =>
      Effect.gen(function*() {
        const m = yield* memory
        yield* m.remember({ collection: "v", id: "a", vector: [1, 0, 0], meta: { v: 1 } })
        yield* m.remember({ collection: "v", id: "b", vector: [0, 1, 0] })
        const replaced = yield* m.remember({ collection: "v", id: "a", vector: [0, 0, 1], meta: { v: 2 } })
        assert.deepStrictEqual([replaced.created, replaced.records], [false, 2])
        const near = yield* m.recall("v", { vector: [0, 0.1, 1], k: 1, mode: "similar" })
        assert.deepStrictEqual(near.matches.map((x) => [x.id, x.meta]), [["a", { v: 2 }]])
        const old = yield* m.recall("v", { vector: [1, 0, 0], k: 5, mode: "exact" })
        assert.deepStrictEqual(old.matches, [])

        assert.deepStrictEqual(yield* m.forget("v", "a"), { forgotten: true })
        assert.deepStrictEqual(yield* m.forget("v", "a"), { forgotten: false })
        const after = yield* m.recall("v", { vector: [0, 0, 1], k: 5, mode: "similar" })
        assert.deepStrictEqual(after.matches.map((x) => x.id), ["b"])
        assert.isTrue(Option.isNone(yield* m.get("v", "a")))
        assert.deepStrictEqual(Option.map(yield* m.get("v", "b"), (r) => r.vector), Option.some([0, 1, 0]))
      }).pipe(Effect.scoped))

    it.effect("refuses bad requests with errors that name the collection and the fault", () =>
      Effect.gen(function*() {
        const m = yield* memory
        yield* m.remember({ collection: "v", id: "a", vector: [1, 2] })
        const cases: ReadonlyArray<[Effect.Effect<unknown, { readonly message: string }>, string]> = [
          [m.remember({ collection: "../etc", id: "x", text: "t" }), "invalid collection name"],
          [m.remember({ collection: "v", id: "x", vector: [1, 2, 3] }), "dimension is 2"],
          [m.remember({ collection: "v", id: "x", vector: [1, Number.NaN] }), "element 1 is not a finite number"],
          [m.remember({ collection: "v", id: "x", text: "t" }), "takes \"vector\", not \"text\""],
          [m.remember({ collection: "v", id: "", vector: [1, 2] }), "id is empty"],
          [m.remember({ collection: "v", id: "x", vector: [0, 0] }), "zero vector"],
          [m.remember({ collection: "t", id: "x", text: "  " }), "text is empty"],
          [m.recall("nothing-here", { text: "x", k: 1, mode: "auto" }), "no such collection"],
          [m.tune("v", 0), "ef must be an integer"]
        ]
        for (const [effect, expected] of cases) {
          const error = yield* Effect.flip(effect)
          assert.include(error.message, expected)
        }
        // Nothing of the refused requests was kept.
        const stats = yield* m.stats
        assert.deepStrictEqual(stats.map((s) => [s.name, s.records]), [["v", 1]])
      }).pipe(Effect.scoped))

    it.effect("explicit settings: an l2 collection of dimension 4 with its own ef", () =>
      Effect.gen(function*() {
        const m = yield* memory
        const created = yield* m.create("metrics", "vector", { dimension: 4, space: "l2", ef: 32, m: 8 })
        assert.deepStrictEqual([created.settings?.space, created.settings?.dimension, created.settings?.ef], ["l2", 4, 32])
        yield* m.remember({ collection: "metrics", id: "x", vector: [0, 0, 0, 0] })
        yield* m.remember({ collection: "metrics", id: "y", vector: [3, 4, 0, 0] })
        const found = yield* m.recall("metrics", { vector: [0, 0, 0, 0], k: 2, mode: "similar" })
        assert.deepStrictEqual(found.matches.map((x) => [x.id, x.distance]), [["x", 0], ["y", 25]])
        assert.strictEqual(found.matches[1]!.score, 1 / 6)
        const error = yield* Effect.flip(m.create("metrics", "text", {}))
        assert.include(error.message, "already exists as a vector collection")
      }).pipe(Effect.scoped))
  })

contract("MemoryTest", Effect.flatMap(Effect.sync(makeInMemoryStorage), makeMemoryTest))
contract("MemoryLive", Effect.flatMap(tempDir, liveMemory))

describe("MemoryTest: journal and snapshots", () => {
  it.effect("a second store over the same storage sees everything, with ef restored", () =>
    Effect.gen(function*() {
      const storage = makeInMemoryStorage()
      const first = yield* makeMemoryTest(storage)
      for (let i = 0; i < SNAPSHOT_EVERY + 10; i++) {
        yield* first.remember({ collection: "many", id: `r${i}`, vector: [Math.cos(i), Math.sin(i), 1] })
      }
      yield* first.forget("many", "r3")
      yield* first.tune("many", 123)
      // The journal crossed SNAPSHOT_EVERY: a snapshot was taken and the journal emptied then.
      assert.isTrue(storage.snapshots.has("many"))
      assert.isBelow(storage.journals.get("many")!.length, 20)

      const second = yield* makeMemoryTest(storage)
      const [stats] = yield* second.stats
      assert.strictEqual(stats?.status, "not-loaded")
      const found = yield* second.recall("many", { vector: [Math.cos(7), Math.sin(7), 1], k: 1, mode: "similar" })
      assert.deepStrictEqual(found.matches.map((x) => x.id), ["r7"])
      const [loaded] = yield* second.stats
      assert.deepStrictEqual([loaded?.records, loaded?.settings?.ef], [SNAPSHOT_EVERY + 9, 123])
      assert.isTrue(Option.isNone(yield* second.get("many", "r3")))
    }))
})

describe("MemoryLive: files under the state directory", () => {
  it.effect("collections survive a restart, from the journal alone and from a snapshot", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* Effect.scoped(Effect.gen(function*() {
        const m = yield* liveMemory(dir)
        for (const [i, text] of texts.entries()) yield* m.remember({ collection: "incidents", id: `i${i}`, text })
        yield* m.forget("incidents", "i4")
      }))
      // Shutdown snapshotted; now a crash: changes after it live only in the journal.
      // A scope never closed: the daemon dies without its shutdown snapshot.
      const crashed = yield* Effect.provideService(liveMemory(dir), Scope.Scope, yield* Scope.make())
      yield* crashed.remember({ collection: "incidents", id: "late", text: "fan failure on enclosure 2" })
      const m = yield* liveMemory(dir)
      const [stats] = yield* Effect.andThen(m.recall("incidents", { text: "fan failure", k: 1, mode: "similar" }), m.stats)
      assert.deepStrictEqual([stats?.name, stats?.status, stats?.records], ["incidents", "ok", 6])
      const found = yield* m.recall("incidents", { text: "fan failure on enclosure 2", k: 1, mode: "exact" })
      assert.deepStrictEqual(found.matches.map((x) => x.id), ["late"])
      assert.isTrue(Option.isNone(yield* m.get("incidents", "i4")))
      const files = (yield* Effect.promise(() => fs.readdir(dir))).sort()
      assert.deepStrictEqual(files, ["incidents.journal", "incidents.snapshot"])
    }).pipe(Effect.scoped))

  it.effect("a torn journal tail (a crash mid-append) is cut away and the rest loads", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const journal = path.join(dir, "c.journal")
      yield* Effect.scoped(Effect.gen(function*() {
        const m = yield* liveMemory(dir)
        yield* m.remember({ collection: "c", id: "kept", vector: [1, 2] })
      }))
      // Shutdown snapshotted and emptied the journal; a crash mid-append leaves half a record.
      yield* Effect.promise(() => fs.appendFile(journal, '0badc0de {"seq":9,"op":"upsert","id":"torn"'))
      const m = yield* liveMemory(dir)
      const found = yield* m.recall("c", { vector: [1, 2], k: 5, mode: "exact" })
      assert.deepStrictEqual(found.matches.map((x) => x.id), ["kept"])
      assert.strictEqual((yield* Effect.promise(() => fs.readFile(journal, "utf8"))), "")
      yield* m.remember({ collection: "c", id: "after", vector: [2, 1] })
      const [stats] = yield* m.stats
      assert.strictEqual(stats?.records, 2)
    }).pipe(Effect.scoped))

  it.effect("a corrupt or newer snapshot makes that collection unavailable with a clear error; others work", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* Effect.scoped(Effect.gen(function*() {
        const m = yield* liveMemory(dir)
        yield* m.remember({ collection: "broken", id: "a", text: "some text" })
        yield* m.remember({ collection: "newer", id: "a", text: "some text" })
        yield* m.remember({ collection: "fine", id: "a", text: "some text" })
      }))
      const broken = path.join(dir, "broken.snapshot")
      const bytes = yield* Effect.promise(() => fs.readFile(broken))
      bytes.writeUInt8(bytes.readUInt8(bytes.length - 40) ^ 0xff, bytes.length - 40)
      yield* Effect.promise(() => fs.writeFile(broken, bytes))
      const newer = path.join(dir, "newer.snapshot")
      const newerBytes = yield* Effect.promise(() => fs.readFile(newer))
      // A newer release's file is intact: its checksum covers the new version number.
      newerBytes.writeUInt32LE(99, 8)
      createHash("sha256").update(newerBytes.subarray(0, -32)).digest().copy(newerBytes, newerBytes.length - 32)
      yield* Effect.promise(() => fs.writeFile(newer, newerBytes))

      const m = yield* liveMemory(dir)
      const error = yield* Effect.flip(m.recall("broken", { text: "some text", k: 1, mode: "auto" }))
      assert.strictEqual(error._tag, "CollectionUnavailable")
      assert.include(error.message, "memory collection 'broken' is unavailable")
      assert.include(error.message, "checksum mismatch")
      const again = yield* Effect.flip(m.remember({ collection: "broken", id: "b", text: "more" }))
      assert.strictEqual(again._tag, "CollectionUnavailable")
      const tooNew = yield* Effect.flip(m.recall("newer", { text: "some text", k: 1, mode: "auto" }))
      assert.include(tooNew.message, "written by a newer SigmaVault")
      const fine = yield* m.recall("fine", { text: "some text", k: 1, mode: "exact" })
      assert.deepStrictEqual(fine.matches.map((x) => x.id), ["a"])
      const stats = yield* m.stats
      assert.deepStrictEqual(stats.map((s) => [s.name, s.status]), [["broken", "unavailable"], ["fine", "ok"], ["newer", "unavailable"]])
      // The damaged file is left for an administrator, not overwritten.
      assert.deepStrictEqual(yield* Effect.promise(() => fs.readFile(broken)), bytes)
    }).pipe(Effect.scoped))
})
