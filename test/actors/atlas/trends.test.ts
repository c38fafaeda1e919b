/**
 * ATLAS `trends` over an in-memory metric history (HistoryTest) holding
 * recorded dataset usage: first, last, change and change per day for each
 * dataset in the window, the top growers and shrinkers, one pool only, and an
 * honest note when the history holds nothing yet.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { atlasAgent } from "../../../src/actors/atlas/index.ts"
import { trendsOf } from "../../../src/actors/atlas/trends.ts"
import * as ZfsTest from "../../../src/adapters/zfs/ZfsTest.ts"
import { MetricHistory, type Sample } from "../../../src/history/History.ts"
import * as HistoryTest from "../../../src/history/HistoryTest.ts"
import * as ActorSystem from "../../../src/runtime/ActorSystem.ts"
import { tree, ROOT } from "../../support/agents.ts"
import { callerFilesInTmp } from "../../support/security.ts"

const NOW = Date.UTC(2026, 11, 3)
const HOUR = 3_600_000
const DAY = 24 * HOUR
const GiB = 2 ** 30

const usage = (pool: string, dataset: string, perDay: number, start: number): Array<Sample> =>
  Array.from({ length: 10 * 24 + 1 }, (_, i) => ({
    name: "sigmavault_dataset_used_bytes",
    labels: { pool, dataset },
    value: start + (perDay * i) / 24,
    at: NOW - 10 * DAY + i * HOUR
  }))

interface Report {
  window: { days: number; stepMs: number }
  datasets: Array<{ dataset: string; first: { at: number; bytes: number }; last: { bytes: number }; deltaBytes: number; growthBytesPerDay: number; growthPercent: number | null }>
  topGrowers: Array<{ dataset: string; deltaBytes: number }>
  topShrinkers: Array<{ dataset: string }>
  totalDeltaBytes: number
  note?: string
}

describe("ATLAS trends", () => {
  it("a single sample has no growth per day; a dataset that started empty has no growth percent", () => {
    const t = trendsOf([
      { name: "sigmavault_dataset_used_bytes", labels: { pool: "tank", dataset: "tank/a" }, resolution: 1, points: [[1, 5]] },
      { name: "sigmavault_dataset_used_bytes", labels: { pool: "tank", dataset: "tank/b" }, resolution: 1, points: [[0, 0], [DAY, 10]] }
    ], 5)
    assert.deepStrictEqual(t.datasets.map((d) => [d.dataset, d.growthBytesPerDay, d.growthPercent]), [["tank/a", null, 0], ["tank/b", 10, null]])
  })

  it.effect("what grew and what shrank, over a window, for every pool or one", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const system = yield* ActorSystem.make({ root: tree("root", "one_for_one", [atlasAgent]) })
      const ask = (message: Record<string, unknown>) => system.injectAsk(ROOT, "ATLAS", message) as Effect.Effect<Report, { readonly message: string }>

      const empty = yield* ask({ type: "trends" })
      assert.lengthOf(empty.datasets, 0)
      assert.match(empty.note!, /holds no sigmavault_dataset_used_bytes samples in the last 7 days/)

      const history = yield* MetricHistory
      yield* history.record([
        ...usage("tank", "tank/photos", 20 * GiB, 100 * GiB),
        ...usage("tank", "tank/docs", 1 * GiB, 10 * GiB),
        ...usage("tank", "tank/scratch", -5 * GiB, 60 * GiB),
        ...usage("vault", "vault/backup", 50 * GiB, 1_000 * GiB)
      ])
      const week = yield* ask({ type: "trends" })
      assert.strictEqual(week.window.days, 7)
      assert.isUndefined(week.note)
      assert.deepStrictEqual(week.datasets.map((d) => d.dataset), ["tank/docs", "tank/photos", "tank/scratch", "vault/backup"])
      const photos = week.datasets[1]!
      assert.strictEqual(photos.first.at, NOW - 7 * DAY)
      assert.closeTo(photos.first.bytes, 160 * GiB, 1)
      assert.closeTo(photos.last.bytes, 300 * GiB, 1)
      assert.closeTo(photos.deltaBytes, 140 * GiB, 1)
      assert.closeTo(photos.growthBytesPerDay, 20 * GiB, 1)
      assert.closeTo(photos.growthPercent!, 87.5, 1e-9)
      assert.deepStrictEqual(week.topGrowers.map((d) => d.dataset), ["vault/backup", "tank/photos", "tank/docs"])
      assert.deepStrictEqual(week.topShrinkers.map((d) => d.dataset), ["tank/scratch"])
      assert.closeTo(week.totalDeltaBytes, (50 + 20 + 1 - 5) * 7 * GiB, 10)

      const tank = yield* ask({ type: "trends", pool: "tank", days: 2, top: 1 })
      assert.deepStrictEqual(tank.datasets.map((d) => d.dataset), ["tank/docs", "tank/photos", "tank/scratch"])
      assert.deepStrictEqual(tank.topGrowers.map((d) => d.dataset), ["tank/photos"])
      assert.closeTo(tank.datasets[1]!.deltaBytes, 40 * GiB, 1)

      assert.match((yield* Effect.flip(ask({ type: "trends", pool: "-x" }))).message, /pool/)
      assert.match((yield* Effect.flip(ask({ type: "trends", days: 0 }))).message, /days/)
    }).pipe(Effect.scoped, Effect.provide(HistoryTest.layer()), Effect.provide(ZfsTest.layer(ZfsTest.model({}))), Effect.provide(callerFilesInTmp)))
})
