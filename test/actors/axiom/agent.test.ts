/**
 * AXIOM as an agent over an in-memory metric history (HistoryTest) holding
 * recorded samples: forecasts of pools and datasets with their refusals,
 * every forecast at once by urgency, the "pool full soon" alert at most once
 * a day (across restarts), and anomaly scores of a value, of a newest sample and over a window.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Logger } from "effect"
import { TestClock } from "effect/testing"
import { axiomAgent } from "../../../src/actors/axiom/index.ts"
import type { StateStore } from "../../../src/adapters/state/StateStore.ts"
import * as StateStoreTest from "../../../src/adapters/state/StateStoreTest.ts"
import { type Sample, MetricHistory } from "../../../src/history/History.ts"
import * as HistoryTest from "../../../src/history/HistoryTest.ts"
import * as ActorSystem from "../../../src/runtime/ActorSystem.ts"
import type { InspectionEvent } from "../../../src/runtime/Inspection.ts"
import { tree, watch, ROOT } from "../../support/agents.ts"
import { DAY, spiky, TiB } from "../../support/series.ts"

const NOW = Date.UTC(2026, 11, 3)
const HOUR = 3_600_000

/** Hourly samples of `name` over `days` days up to NOW: value(days before NOW). */
const hourly = (name: string, labels: Record<string, string>, days: number, value: (ago: number) => number): Array<Sample> =>
  Array.from({ length: days * 24 + 1 }, (_, i) => {
    const at = NOW - i * HOUR
    return { name, labels, value: value((NOW - at) / DAY), at }
  })

const seed = Effect.gen(function*() {
  const history = yield* MetricHistory
  yield* history.record([
    // tank: 10 TiB, 6 TiB used, +0.4 TiB a day: 80 % in 5 days, 90 % in 7.5, full in 10.
    ...hourly("sigmavault_pool_size_bytes", { pool: "tank" }, 30, () => 10 * TiB),
    ...hourly("sigmavault_pool_allocated_bytes", { pool: "tank" }, 30, (ago) => 6 * TiB - 0.4 * TiB * ago),
    // vault: flat at 30 %.
    ...hourly("sigmavault_pool_size_bytes", { pool: "vault" }, 30, () => 4 * TiB),
    ...hourly("sigmavault_pool_allocated_bytes", { pool: "vault" }, 30, () => 1.2 * TiB),
    // fresh: two hours of history only.
    ...hourly("sigmavault_pool_size_bytes", { pool: "fresh" }, 30, () => TiB).slice(0, 3),
    ...hourly("sigmavault_pool_allocated_bytes", { pool: "fresh" }, 30, () => 0.1 * TiB).slice(0, 3),
    // nosize: usage but no size.
    ...hourly("sigmavault_pool_allocated_bytes", { pool: "nosize" }, 30, () => TiB),
    // tank/photos grows 10 GiB a day and has 1 TiB available now.
    ...hourly("sigmavault_dataset_used_bytes", { pool: "tank", dataset: "tank/photos" }, 30, (ago) => 500 * 2 ** 30 - 10 * 2 ** 30 * ago),
    ...hourly("sigmavault_dataset_available_bytes", { pool: "tank", dataset: "tank/photos" }, 30, () => TiB)
  ])
  // Two latency series; `b`'s newest sample is a spike.
  const a = spiky({ seed: 11, n: 1_500, spikes: 6, stepMs: 60_000 })
  const shift = NOW - 1_500 * 60_000
  yield* history.record(a.points.map(([t, v]) => ({ name: "sigmavault_test_latency_seconds", labels: { disk: "a" }, value: v, at: t - a.points[0]![0] + shift })))
  yield* history.record(a.points.map(([t, v], i) => ({ name: "sigmavault_test_latency_seconds", labels: { disk: "b" }, value: i === a.points.length - 1 ? 50 + 20 * a.sd : v, at: t - a.points[0]![0] + shift })))
  return a
})

const captureLogs = () => {
  const lines: Array<string> = []
  const logger = Logger.make((options) => void lines.push(`${options.logLevel}: ${[options.message].flat().join(" ")}`))
  return { lines, layer: Logger.layer([logger]) }
}

const alerts = (seen: ReadonlyArray<InspectionEvent>) => seen.filter((e) => e._tag === "Alert" && e.agent === "AXIOM")

describe("AXIOM", () => {
  it.effect("forecasts pools and datasets from the history, refuses honestly, sorts by urgency, alerts once a day", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const system = yield* ActorSystem.make({ root: tree<MetricHistory | StateStore>("root", "one_for_one", [axiomAgent]) })
      const events = yield* watch(system)
      // The check at start found an empty history: nothing to say.
      yield* system.injectAsk(ROOT, "AXIOM", { type: "forecasts" })
      const injected = yield* seed
      const ask = (message: Record<string, unknown>) => system.injectAsk(ROOT, "AXIOM", message)

      const tank = (yield* ask({ type: "forecast", pool: "tank" })) as {
        trend: string; usedPercent: number; growthBytesPerDay: number; summary: string
        crossings: Array<{ percent: number; status: string; days: number; low: number; high: number; date: string }>
        fit: { method: string; points: number; shifts: Array<unknown> }
      }
      assert.strictEqual(tank.trend, "growing")
      assert.closeTo(tank.usedPercent, 60, 1e-9)
      assert.closeTo(tank.growthBytesPerDay, 0.4 * TiB, 1e-6 * TiB)
      assert.deepStrictEqual(tank.crossings.map((c) => [c.percent, c.status]), [[80, "expected"], [90, "expected"], [100, "expected"]])
      for (const [c, days] of [[tank.crossings[0]!, 5], [tank.crossings[1]!, 7.5], [tank.crossings[2]!, 10]] as const) {
        assert.closeTo(c.days, days, 1e-6)
        assert.closeTo(c.low, days, 1e-6)
        assert.closeTo(c.high, days, 1e-6)
      }
      assert.strictEqual(tank.crossings[2]!.date, new Date(NOW + 10 * DAY).toISOString())
      assert.match(tank.summary, /^pool tank: 60\.0 % used; growing .*; full in 10\.0 days/)
      assert.deepStrictEqual([tank.fit.method, tank.fit.shifts.length], ["theil-sen", 0])

      const vault = (yield* ask({ type: "forecast", pool: "vault" })) as { trend: string; summary: string; crossings: Array<{ status: string; days: null }> }
      assert.strictEqual(vault.trend, "flat")
      assert.isTrue(vault.crossings.every((c) => c.status === "not-growing" && c.days === null))
      assert.match(vault.summary, /not growing/)

      const photos = (yield* ask({ type: "forecast", dataset: "tank/photos", days: 14 })) as {
        subject: unknown; capacityBytes: number; crossings: Array<{ days: number }>; fit: { window: { days: number } }
      }
      assert.deepStrictEqual(photos.subject, { kind: "dataset", pool: "tank", dataset: "tank/photos" })
      assert.strictEqual(photos.capacityBytes, 500 * 2 ** 30 + TiB)
      assert.closeTo(photos.crossings[2]!.days, TiB / (10 * 2 ** 30), 1e-6)
      assert.strictEqual(photos.fit.window.days, 14)

      const refused = (message: Record<string, unknown>) => Effect.map(Effect.flip(ask(message)), (e) => e.message)
      assert.match(yield* refused({ type: "forecast" }), /exactly one of "pool" or "dataset"/)
      assert.match(yield* refused({ type: "forecast", pool: "tank", dataset: "tank/photos" }), /exactly one/)
      assert.match(yield* refused({ type: "forecast", pool: "nosuch" }), /no series sigmavault_pool_allocated_bytes\{pool="nosuch"\}/)
      assert.match(yield* refused({ type: "forecast", pool: "fresh" }), /too little history .*: 3 samples over 2\.0 h; at least 10 samples over 6 h/)
      assert.match(yield* refused({ type: "forecast", pool: "nosize" }), /no capacity is known/)
      assert.match(yield* refused({ type: "forecast", pool: "-o" }), /pool/)

      const all = (yield* ask({ type: "forecasts" })) as { forecasts: Array<{ subject: { pool: string; dataset?: string } }>; skipped: Array<{ subject: { pool: string }; reason: string }> }
      assert.deepStrictEqual(all.forecasts.map((f) => f.subject.dataset ?? f.subject.pool), ["tank", "tank/photos", "vault"])
      assert.sameMembers(all.skipped.map((s) => s.subject.pool), ["fresh", "nosize"])
      const poolsOnly = (yield* ask({ type: "forecasts", datasets: false })) as { forecasts: Array<unknown> }
      assert.lengthOf(poolsOnly.forecasts, 2)

      assert.lengthOf(alerts(events.seen), 0)
      // The next check, an hour after the first: tank is full within 14 days.
      yield* TestClock.adjust("61 minutes")
      const alert = yield* events.until((e) => e._tag === "Alert")
      assert.deepInclude(alert, { agent: "AXIOM", severity: "warning", subject: "pool tank", code: "AXIOM-FULL-SOON" })
      assert.match((alert as { text: string }).text, /forecast full in 10\.0 days \(10\.0 days to 10\.0 days\)/)
      // An hour later the check runs again: no second alert the same day.
      yield* TestClock.adjust("61 minutes")
      yield* ask({ type: "forecasts", datasets: false })
      assert.lengthOf(alerts(events.seen), 1)
      // The alert times are kept: a restarted AXIOM (a second system over the same store) checks at start and stays quiet.
      assert.lengthOf(logs.lines.filter((l) => l.includes("forecast full")), 1)
      const again = yield* ActorSystem.make({ root: tree<MetricHistory | StateStore>("again", "one_for_one", [axiomAgent]) })
      yield* again.injectAsk(ROOT, "AXIOM", { type: "forecasts", datasets: false })
      assert.lengthOf(logs.lines.filter((l) => l.includes("forecast full")), 1)
      // A day later: again.
      yield* TestClock.adjust("24 hours")
      yield* ask({ type: "forecasts", datasets: false })
      yield* events.until((e) => e._tag === "Alert" && alerts(events.seen).length === 2)
      assert.lengthOf(alerts(events.seen), 2)
      void injected
    }).pipe(Effect.scoped, Effect.provide(HistoryTest.layer()), Effect.provide(StateStoreTest.layer()), Effect.provide(logs.layer))
  })

  it.effect("scores a value, a newest sample and a window's spikes against the EWMA baseline", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const injected = yield* seed
      const system = yield* ActorSystem.make({ root: tree<MetricHistory | StateStore>("root", "one_for_one", [axiomAgent]) })
      const ask = (message: Record<string, unknown>) => system.injectAsk(ROOT, "AXIOM", message)
      const metric = "sigmavault_test_latency_seconds"

      type Report = { score: number; verdict: string; anomalous: boolean; source: string; at: number | null; threshold: number; baseline: { mean: number; sd: number; samples: number }; explanation: string }
      const given = (yield* ask({ type: "anomaly", metric, labels: { disk: "a" }, value: 50 + 12 * injected.sd, hours: 48 })) as Report
      assert.deepInclude(given, { verdict: "high", anomalous: true, source: "given", at: null, threshold: 4 })
      assert.closeTo(given.baseline.mean, 50, 2)
      assert.closeTo(given.baseline.sd, injected.sd, 1)
      assert.match(given.explanation, /standard deviations above its baseline .*threshold 4: anomalous \(high\)/)
      const normal = (yield* ask({ type: "anomaly", metric, labels: { disk: "a" }, value: 50, hours: 48, threshold: 3 })) as Report
      assert.deepInclude(normal, { verdict: "normal", anomalous: false, threshold: 3 })

      const newest = (yield* ask({ type: "anomaly", metric, labels: { disk: "b" }, hours: 48 })) as Report
      assert.deepInclude(newest, { verdict: "high", source: "newest", at: NOW - 60_000 })
      assert.isAbove(newest.score, 10)

      const refused = (message: Record<string, unknown>) => Effect.map(Effect.flip(ask(message)), (e) => e.message)
      assert.match(yield* refused({ type: "anomaly", metric }), /2 series of sigmavault_test_latency_seconds match; name one with "labels"/)
      assert.match(yield* refused({ type: "anomaly", metric, labels: { disk: "z" } }), /no series sigmavault_test_latency_seconds\{disk="z"\}/)
      assert.match(yield* refused({ type: "anomaly", metric: "no such metric" }), /metric/)
      assert.match(yield* refused({ type: "anomaly", metric, labels: { "bad-label": "x" } }), /label/)
      assert.match(yield* refused({ type: "anomaly", metric: "sigmavault_pool_size_bytes", labels: { pool: "fresh" } }), /too little history/)

      const scan = (yield* ask({ type: "anomalies", metric, hours: 48 })) as {
        threshold: number
        series: Array<{ series: string; scored: number; anomalies: Array<{ at: number; score: number; verdict: string }>; shifts: Array<unknown> }>
      }
      assert.strictEqual(scan.threshold, 4)
      assert.deepStrictEqual(scan.series.map((s) => s.series), ['sigmavault_test_latency_seconds{disk="a"}', 'sigmavault_test_latency_seconds{disk="b"}'])
      // Points are read in steps of a minute (48 h / 4000, rounded up to a step that divides the hour): the samples' own times.
      const spikeTimes = [...injected.spikes].map((i) => NOW - (1_500 - i) * 60_000).sort((x, y) => x - y)
      assert.deepStrictEqual(scan.series[0]!.anomalies.map((a) => a.at), spikeTimes)
      // b holds the same spikes plus its newest sample.
      assert.deepStrictEqual(scan.series[1]!.anomalies.map((a) => a.at), [...spikeTimes, NOW - 60_000])
      const limited = (yield* ask({ type: "anomalies", metric, labels: { disk: "a" }, hours: 48, limit: 2 })) as { series: Array<{ anomalies: Array<{ at: number }>; truncated: boolean }> }
      assert.deepStrictEqual(limited.series[0]!.anomalies.map((a) => a.at), spikeTimes.slice(-2))
      assert.isTrue(limited.series[0]!.truncated)
      assert.match(yield* refused({ type: "anomalies", metric: "sigmavault_nothing" }), /no series sigmavault_nothing/)
    }).pipe(Effect.scoped, Effect.provide(HistoryTest.layer()), Effect.provide(StateStoreTest.layer())))
})
