import * as fs from "node:fs/promises"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import { Files } from "../../src/adapters/fs/Files.ts"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import * as FilesTest from "../../src/adapters/fs/FilesTest.ts"
import { type HistoryQueryInvalid, MetricHistory } from "../../src/history/History.ts"
import { type HistoryLiveOptions, layer, make } from "../../src/history/HistoryLive.ts"
import { T0, tempDir } from "./support.ts"

const live = (options: HistoryLiveOptions) => make(options).pipe(Effect.provideService(Files, FilesLive.make()))

describe("HistoryLive", () => {
  it.effect("records, queries at the 10 s tier, answers latest and series", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0 + 3_600_000)
      const dir = yield* tempDir
      const h = yield* live({ dir })
      const r = yield* h.record([
        { name: "sigmavault_pool_free_bytes", labels: { pool: "tank" }, value: 10, at: T0 + 1_000 },
        { name: "sigmavault_pool_free_bytes", labels: { pool: "tank" }, value: 20, at: T0 + 5_000 },
        { name: "sigmavault_pool_free_bytes", labels: { pool: "tank" }, value: 30, at: T0 + 12_000 },
        { name: "sigmavault_pool_free_bytes", labels: { pool: "tank" }, value: 5, at: T0 + 3_000 },
        { name: "sigmavault_pool_free_bytes", labels: { pool: "backup" }, value: 7, at: T0 + 3_000 }
      ])
      assert.deepStrictEqual(r, { accepted: 5, refused: 0 })
      const q = (consolidate: "avg" | "min" | "max" | "last") =>
        h.query({ name: "sigmavault_pool_free_bytes", matchers: [{ label: "pool", op: "=", value: "tank" }], from: T0, to: T0 + 60_000, consolidate })
      const avg = yield* q("avg")
      assert.strictEqual(avg.length, 1)
      assert.strictEqual(avg[0]!.resolution, 10_000)
      assert.deepStrictEqual(avg[0]!.points, [[T0, 35 / 3], [T0 + 10_000, 30]])
      assert.deepStrictEqual((yield* q("min"))[0]!.points, [[T0, 5], [T0 + 10_000, 30]])
      assert.deepStrictEqual((yield* q("max"))[0]!.points, [[T0, 20], [T0 + 10_000, 30]])
      // last is by time: the late sample at +3 s does not replace the one at +5 s
      assert.deepStrictEqual((yield* q("last"))[0]!.points, [[T0, 20], [T0 + 10_000, 30]])
      const coarse = yield* h.query({ name: "sigmavault_pool_free_bytes", matchers: [{ label: "pool", op: "=", value: "tank" }], from: T0, to: T0 + 60_000, step: 15_000 })
      assert.deepStrictEqual(coarse[0]!.points, [[T0, 65 / 4]])
      const latest = yield* h.latest("sigmavault_pool_free_bytes")
      assert.deepStrictEqual(latest.map((l) => [l.labels.pool, l.at, l.value]).sort(), [["backup", T0 + 3_000, 7], ["tank", T0 + 12_000, 30]])
      assert.strictEqual((yield* h.series()).length, 2)
      const stats = yield* h.stats
      assert.strictEqual(stats.series, 2)
      assert.strictEqual(stats.samples, 5)
      assert.isAbove(stats.bytes, 0)
      assert.deepStrictEqual(stats.tiers.map((t) => t.step), [10_000, 300_000, 3_600_000])
    }).pipe(Effect.scoped))

  it.effect("refuses invalid, too old and far-future samples, and counts them", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const dir = yield* tempDir
      const h = yield* live({ dir })
      const r = yield* h.record([
        { name: "bad name", value: 1 },
        { name: "sigmavault_x", value: Number.NaN },
        { name: "sigmavault_x", value: 1, at: T0 - 800 * 86_400_000 },
        { name: "sigmavault_x", value: 1, at: T0 + 3_600_000 },
        { name: "sigmavault_x", value: 1 }
      ])
      assert.deepStrictEqual(r, { accepted: 1, refused: 4 })
      assert.strictEqual((yield* h.stats).refused.invalid, 4)
    }).pipe(Effect.scoped))

  it.effect("a query too fine or malformed is refused naming the field", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const dir = yield* tempDir
      const h = yield* live({ dir })
      const e1 = yield* Effect.flip(h.query({ name: "x", from: T0 - 700 * 86_400_000, to: T0, step: 1 }))
      assert.strictEqual((e1 as HistoryQueryInvalid).field, "step")
      const e2 = yield* Effect.flip(h.query({ name: "x", from: T0, to: T0 - 1 }))
      assert.strictEqual((e2 as HistoryQueryInvalid).field, "from")
      const e3 = yield* Effect.flip(h.query({ name: "x", from: T0 - 1000, to: T0, matchers: [{ label: "a", op: "=~", value: "(" }] }))
      assert.strictEqual((e3 as HistoryQueryInvalid).field, "matchers[0].value")
      // Without a step, a long range gets the coarsest step that fits MAX_POINTS
      const ok = yield* h.query({ name: "x", from: T0 - 700 * 86_400_000, to: T0 })
      assert.deepStrictEqual(ok, [])
    }).pipe(Effect.scoped))

  it.effect("picks the finest tier whose window still holds `from`", () =>
    Effect.gen(function*() {
      const now = T0 + 40 * 86_400_000
      yield* TestClock.setTime(now)
      const dir = yield* tempDir
      const h = yield* live({ dir })
      yield* h.record([{ name: "sigmavault_x", value: 1, at: now - 1000 }])
      const resolution = (from: number) => Effect.map(h.query({ name: "sigmavault_x", from, to: now, step: 86_400_000 }), (r) => r[0]!.resolution)
      assert.strictEqual(yield* resolution(now - 3_600_000), 10_000)
      assert.strictEqual(yield* resolution(now - 2 * 86_400_000), 300_000)
      assert.strictEqual(yield* resolution(now - 35 * 86_400_000), 3_600_000)
    }).pipe(Effect.scoped))

  it.effect("a restart keeps the history: from the journal after a flush, from a checkpoint after a clean stop", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0 + 600_000)
      const dir = yield* tempDir
      const samples = Array.from({ length: 50 }, (_, i) => ({ name: "sigmavault_y", labels: { n: String(i % 3) }, value: i, at: T0 + i * 7_000 }))
      const query = { name: "sigmavault_y", from: T0, to: T0 + 600_000, step: 30_000 }
      // 1: flushed, then the scope is never closed (as a crash would leave it): the journal alone
      const first = yield* live({ dir })
      yield* first.record(samples)
      yield* first.flush
      const expected = yield* first.query(query)
      const second = yield* Effect.scoped(Effect.gen(function*() {
        const h = yield* live({ dir })
        assert.strictEqual(h.recovery.samples, 50)
        assert.deepStrictEqual(yield* h.query(query), expected)
        yield* h.record([{ name: "sigmavault_y", labels: { n: "9" }, value: 99, at: T0 + 500_000 }])
        return yield* h.query(query)
      }))
      // 2: the clean stop wrote a checkpoint and removed the journals
      const names = yield* Effect.promise(() => fs.readdir(dir))
      assert.deepStrictEqual(names.filter((n) => n.startsWith("journal")), [])
      const third = yield* live({ dir })
      assert.strictEqual(third.recovery.checkpoint, "loaded")
      assert.deepStrictEqual(yield* third.query(query), second)
      assert.strictEqual((yield* third.stats).samples, 51)
    }).pipe(Effect.scoped))

  it.effect("the background flush runs 60 s after a record, and nothing is written while idle", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const files = FilesTest.make()
      const h = yield* make({ dir: "/h" }).pipe(Effect.provideService(Files, files.service))
      const journalSize = () => Effect.map(Effect.exit(files.service.stat("/h/journal-0")), (e) => (e._tag === "Success" ? e.value.size : -1))
      yield* h.record([{ name: "sigmavault_w", value: 1 }])
      yield* TestClock.adjust(59_000)
      assert.strictEqual(yield* journalSize(), -1)
      yield* TestClock.adjust(1_000)
      const size = yield* journalSize()
      assert.isAbove(size, 0)
      const before = files.paths()
      yield* TestClock.adjust(7 * 86_400_000)
      assert.strictEqual(yield* journalSize(), size)
      assert.deepStrictEqual(files.paths(), before)
    }).pipe(Effect.scoped))

  it.effect("the layer provides MetricHistory over the Files port", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const dir = yield* tempDir
      const stats = yield* Effect.gen(function*() {
        const h = yield* MetricHistory
        yield* h.record([{ name: "sigmavault_z", value: 1 }])
        return yield* h.stats
      }).pipe(Effect.provide(layer({ dir: path.join(dir, "history") }).pipe(Layer.provide(FilesLive.layer))))
      assert.strictEqual(stats.samples, 1)
      const names = yield* Effect.promise(() => fs.readdir(path.join(dir, "history")))
      assert.deepStrictEqual(names, ["checkpoint"])
    }).pipe(Effect.scoped))
})
