import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Logger, Result } from "effect"
import { TestClock } from "effect/testing"
import { parseSample } from "../../src/adapters/procfs/parse.ts"
import { ProcStatsError, type RawSample } from "../../src/adapters/procfs/ProcStats.ts"
import * as ProcStatsTest from "../../src/adapters/procfs/ProcStatsTest.ts"
import { defaultSentryConfig, SentryConfig, type SentryConfigShape, type Threshold } from "../../src/actors/sentry/config.ts"
import {
  activeAlerts,
  type AlarmState,
  type AlertBook,
  type AlertTransition,
  emptyBook,
  evaluate,
  quiet,
  step
} from "../../src/actors/sentry/hysteresis.ts"
import { sentryAgent } from "../../src/actors/sentry/index.ts"
import { Memory } from "../../src/memory/Memory.ts"
import { makeInMemoryStorage, makeMemoryTest } from "../../src/memory/MemoryTest.ts"
import type { Storage } from "../../src/memory/Store.ts"
import { FileError } from "../../src/adapters/fs/Files.ts"
import { computeMetrics, readingsOf } from "../../src/actors/sentry/utilisation.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import { MetricHistory, type MetricHistoryShape } from "../../src/history/History.ts"
import * as HistoryTest from "../../src/history/HistoryTest.ts"
import { fastBackoff, generous, watch } from "../support/agents.ts"

const cpuThreshold: Threshold = { raiseAt: 90, clearAt: 75, forSamples: 2 }

/** Runs values through one alarm; returns the index and kind of every change. */
const changes = (threshold: Threshold, values: ReadonlyArray<number>, from: AlarmState = quiet) => {
  let state = from
  const out: Array<[number, string]> = []
  values.forEach((value, index) => {
    const next = step(threshold, state, value, index)
    state = next.state
    if (next.change !== undefined) out.push([index, next.change])
  })
  return { changes: out, state }
}

/**
 * Cumulative samples in which every interval adds 100 jiffies, `busy` of them
 * not idle; memory is 40% used and the load low, so only the CPU alarm moves.
 */
const cpuScript = (busy: ReadonlyArray<number>): Array<ProcStatsTest.ScriptedSample> => {
  let used = 0
  let idle = 0
  const at = (): ProcStatsTest.ScriptedSample => ({
    cpu: { user: used, nice: 0, system: 0, idle, iowait: 0, irq: 0, softirq: 0, steal: 0 },
    cpuCount: 4,
    memory: { totalBytes: 1000, availableBytes: 600, swapTotalBytes: 0, swapFreeBytes: 0 },
    load: { one: 1, five: 1, fifteen: 1, runnable: 1, entities: 100 },
    disks: [{ name: "sda", readsCompleted: 0, writesCompleted: 0, sectorsRead: 0, sectorsWritten: 0, ioTicksMs: 0 }]
  })
  const samples = [at()]
  for (const percent of busy) {
    used += percent
    idle += 100 - percent
    samples.push(at())
  }
  return samples
}

const fixture = (...path: ReadonlyArray<string>) => readFileSync(join(import.meta.dirname, "../fixtures", ...path), "utf8")

const fixtureSample = (dir: string, monotonicMs: number): RawSample =>
  Result.getOrThrow(parseSample({
    stat: fixture(dir, "stat"),
    meminfo: fixture(dir, "meminfo"),
    loadavg: fixture(dir, "loadavg"),
    diskstats: fixture(dir, "diskstats")
  }, monotonicMs))

describe("hysteresis", () => {
  it("raises only after forSamples consecutive values at or above raiseAt", () => {
    // 80 breaks the first streak; 90 counts (the bound is inclusive).
    assert.deepStrictEqual(changes(cpuThreshold, [95, 80, 95, 90]).changes, [[3, "raised"]])
    assert.deepStrictEqual(changes({ ...cpuThreshold, forSamples: 3 }, [95, 95, 89, 95, 95, 95]).changes, [[5, "raised"]])
  })

  it("does not flap while values oscillate between clearAt and raiseAt", () => {
    const between = [80, 89.9, 76, 89, 75.1, 85, 89.99]
    // Quiet stays quiet…
    assert.deepStrictEqual(changes(cpuThreshold, between).changes, [])
    // …and raised stays raised, following the latest value.
    const raised = changes(cpuThreshold, [95, 95, ...between])
    assert.deepStrictEqual(raised.changes, [[1, "raised"]])
    assert.deepStrictEqual(raised.state, { _tag: "Raised", since: 1, raisedValue: 95, latest: 89.99 })
  })

  it("clears on the first value at or below clearAt, and a new raise needs a new streak", () => {
    assert.deepStrictEqual(changes(cpuThreshold, [95, 95, 75.5, 75, 95, 70, 95, 95]).changes, [
      [1, "raised"],
      [3, "cleared"],
      [7, "raised"]
    ])
  })

  it("ignores values that are not numbers", () => {
    assert.deepStrictEqual(changes(cpuThreshold, [95, Number.NaN, 95]).changes, [[2, "raised"]])
  })

  it("follows a recorded sample sequence through utilisation into alerts", () => {
    const busy = [50, 92, 88, 93, 91, 91, 85, 80, 76, 74, 89, 95]
    const samples = cpuScript(busy).map((sample, index) => ({ ...sample, monotonicMs: index * 5_000 }))
    let book: AlertBook = emptyBook
    const transitions: Array<AlertTransition> = []
    for (let index = 1; index < samples.length; index++) {
      const metrics = computeMetrics(samples[index - 1]!, samples[index]!)
      const thresholds = { ...defaultSentryConfig.thresholds, cpu: cpuThreshold }
      const outcome = evaluate(book, thresholds, readingsOf(metrics), index * 5_000, 100)
      book = outcome.book
      transitions.push(...outcome.transitions)
    }
    // 92 then 88: no raise; 93, 91: raised at the 5th sample (t = 25 s); 74 clears (t = 50 s); 95 alone does not raise.
    assert.deepStrictEqual(transitions.map(({ at, change, key, value }) => ({ at, change, key, value })), [
      { at: 25_000, change: "raised", key: "cpu", value: 91 },
      { at: 50_000, change: "cleared", key: "cpu", value: 74 }
    ])
    assert.deepStrictEqual(activeAlerts(book), [])
    assert.deepStrictEqual(book.history, transitions)
  })

  it("keeps one alarm per disk and a bounded history, newest last", () => {
    const thresholds = { ...defaultSentryConfig.thresholds, disk: { raiseAt: 90, clearAt: 70, forSamples: 1 } }
    const disk = (name: string, value: number) => ({ key: `disk:${name}`, metric: "disk" as const, value })
    let book = evaluate(emptyBook, thresholds, [disk("sda", 95), disk("sdb", 10)], 1, 2).book
    assert.deepStrictEqual(activeAlerts(book).map((alert) => alert.key), ["disk:sda"])
    book = evaluate(book, thresholds, [disk("sda", 50), disk("sdb", 99)], 2, 2).book
    book = evaluate(book, thresholds, [disk("sda", 99)], 3, 2).book
    assert.deepStrictEqual(activeAlerts(book).map((alert) => alert.key), ["disk:sda", "disk:sdb"])
    assert.deepStrictEqual(book.history.map(({ at, change, key }) => `${at} ${key} ${change}`), [
      "2 disk:sdb raised",
      "3 disk:sda raised"
    ])
  })
})

describe("utilisation", () => {
  // Captured on this machine about 2 s apart, with a busy loop and 300 MiB of direct I/O in between.
  const earlier = fixtureSample("proc", 0)
  const later = fixtureSample("proc/later", 2_000)

  it("computes CPU, memory, load and disk use from two fixture samples", () => {
    const metrics = computeMetrics(earlier, later)
    // Jiffy deltas: user 200, system 5, idle 160, iowait 33, softirq 1 — 399 in all.
    assert.strictEqual(metrics.cpu.jiffies, 399)
    assert.closeTo(metrics.cpu.busyPercent, (206 / 399) * 100, 1e-9)
    assert.closeTo(metrics.cpu.iowaitPercent, (33 / 399) * 100, 1e-9)
    // MemTotal 24684084 kB, MemAvailable 24295564 kB in the later sample; no swap.
    assert.closeTo(metrics.memory.usedPercent, ((24684084 - 24295564) / 24684084) * 100, 1e-9)
    assert.strictEqual(metrics.memory.swapUsedPercent, 0)
    // Load 0.34 over 2 CPUs.
    assert.closeTo(metrics.load.perCpu, 0.17, 1e-9)
    // vda: 320 reads / 615256 sectors read, 300 writes / 614400 sectors written, io ticks +368 ms.
    assert.deepStrictEqual(metrics.disks, [{
      name: "vda",
      readBytesPerSecond: (615256 * 512) / 2,
      writeBytesPerSecond: (614400 * 512) / 2,
      readsPerSecond: 160,
      writesPerSecond: 150,
      utilPercent: 18.4
    }])
    assert.strictEqual(metrics.intervalMs, 2_000)
  })

  it("never reports a negative rate when a counter goes backwards", () => {
    const metrics = computeMetrics(later, { ...earlier, monotonicMs: 4_000 })
    assert.strictEqual(metrics.cpu.busyPercent, 0)
    assert.deepStrictEqual(metrics.disks.map((disk) => disk.readBytesPerSecond + disk.utilPercent), [0])
  })

  it("gives no CPU or disk reading for an interval too short to measure", () => {
    const keys = readingsOf(computeMetrics(earlier, earlier)).map((reading) => reading.key)
    assert.deepStrictEqual(keys, ["memory", "load"])
  })
})

describe("the SENTRY agent", () => {
  const config: SentryConfigShape = {
    ...defaultSentryConfig,
    intervalMs: 1_000,
    thresholds: { ...defaultSentryConfig.thresholds, cpu: cpuThreshold }
  }

  const start = (
    script: ReadonlyArray<ProcStatsTest.ScriptedSample | ProcStatsError>,
    logs: Array<string> = [],
    storage: Storage = makeInMemoryStorage(),
    history: Effect.Effect<MetricHistoryShape> = HistoryTest.make()
  ) =>
    ActorSystem.make({
      root: { name: "root", strategy: "one_for_one", intensity: generous, backoff: fastBackoff, children: [sentryAgent] }
    }).pipe(
      Effect.provide(ProcStatsTest.layer(script)),
      Effect.provideServiceEffect(MetricHistory, history),
      Effect.provideServiceEffect(Memory, makeMemoryTest(storage)),
      Effect.provideService(SentryConfig, config),
      Effect.provideService(
        Logger.CurrentLoggers,
        new Set([Logger.make(({ logLevel, message }) => logs.push(`${logLevel} ${[message].flat().join(" ")}`))])
      )
    )

  it.effect("samples as the clock advances, raises and clears a CPU alert", () =>
    Effect.gen(function*() {
      const logs: Array<string> = []
      const system = yield* start(cpuScript([95, 95, 80, 70]), logs)
      const events = yield* watch(system)
      const alertsAt = (ms: number) =>
        Effect.andThen(TestClock.adjust(ms), system.ask("SENTRY", { type: "alerts" })) as Effect.Effect<{
          active: ReadonlyArray<{ key: string; since: number; latest: number }>
          history: ReadonlyArray<AlertTransition>
        }, unknown>

      let alerts = yield* alertsAt(1_000) // 95%: one of two
      assert.deepStrictEqual(alerts, { active: [], history: [] })
      alerts = yield* alertsAt(1_000) // 95% again: raised
      assert.deepStrictEqual(alerts.active.map(({ key, since }) => ({ key, since })), [{ key: "cpu", since: 2_000 }])
      alerts = yield* alertsAt(1_000) // 80%: between the bounds, still raised
      assert.deepStrictEqual(alerts.active.map(({ key, latest }) => ({ key, latest })), [{ key: "cpu", latest: 80 }])
      alerts = yield* alertsAt(1_000) // 70%: cleared
      assert.deepStrictEqual(alerts.active, [])
      assert.deepStrictEqual(alerts.history.map(({ at, change, key }) => ({ at, change, key })), [
        { at: 2_000, change: "raised", key: "cpu" },
        { at: 4_000, change: "cleared", key: "cpu" }
      ])
      assert.deepStrictEqual(logs.filter((line) => line.includes("alert")), [
        "Warn alert raised: cpu at 95.0% busy, at or above 90 for 2 consecutive samples; no earlier alert looked like it",
        "Info alert cleared: cpu at 70.0% busy, at or below 75"
      ])
      // Raised and cleared carry the metric's finding code.
      const raised = yield* events.until((e) => e._tag === "Alert")
      const cleared = yield* events.until((e) => e._tag === "Alert")
      assert.deepStrictEqual([raised, cleared].map((e) => [(e as { severity: string }).severity, (e as { code?: string }).code]), [["warning", "SENTRY-CPU"], ["info", "SENTRY-CPU"]])
    }))

  it.effect("a raised alert recalls the earlier alerts in a like situation from memory, and is remembered", () =>
    Effect.gen(function*() {
      const logs: Array<string> = []
      const storage = makeInMemoryStorage()
      const system = yield* start(cpuScript([95, 95, 70, 95, 96]), logs, storage)
      yield* TestClock.adjust(5_000)
      const alerts = (yield* system.ask("SENTRY", { type: "alerts" })) as { history: ReadonlyArray<AlertTransition> }
      assert.deepStrictEqual(alerts.history.map(({ at, change, precedents }) => [at, change, precedents?.map((p) => [p.key, p.at, p.value])]), [
        [2_000, "raised", []],
        [3_000, "cleared", undefined],
        [5_000, "raised", [["cpu", 2_000, 95]]]
      ])
      assert.include(logs.find((line) => line.includes("alert raised: cpu at 96.0%")), "it looks like 1 earlier alert: cpu at 1970-01-01T00:00:02.000Z")
      const remembered = storage.journals.get("sentry-alerts")!.filter((r) => (r as { op: string }).op === "upsert")
      assert.deepStrictEqual(remembered.map((r) => (r as { id: string }).id), ["cpu@1970-01-01T00:00:02.000Z", "cpu@1970-01-01T00:00:05.000Z"])
    }))

  it.effect("when memory fails, alerts still raise, and the failure is logged once", () =>
    Effect.gen(function*() {
      const logs: Array<string> = []
      const broken: Storage = {
        ...makeInMemoryStorage(),
        append: () => Effect.fail(new FileError({ reason: "NoSpace", operation: "append to", path: "/state/memory/sentry-alerts.journal" }))
      }
      const system = yield* start(cpuScript([95, 95, 70, 95, 95]), logs, broken)
      yield* TestClock.adjust(5_000)
      const alerts = (yield* system.ask("SENTRY", { type: "alerts" })) as { history: ReadonlyArray<AlertTransition> }
      assert.deepStrictEqual(alerts.history.map(({ at, change }) => [at, change]), [[2_000, "raised"], [3_000, "cleared"], [5_000, "raised"]])
      assert.deepStrictEqual(logs.filter((line) => line.includes("memory")), [
        "Warn could not recall earlier alerts from memory: cannot append to /state/memory/sentry-alerts.journal: no space left on the device"
      ])
    }))

  it.effect("answers between samples: current needs two samples, thresholds are the configured ones", () =>
    Effect.gen(function*() {
      const system = yield* start(cpuScript([40]))
      const early = yield* Effect.flip(system.ask("SENTRY", { type: "current" }))
      assert.include(String(early.message), "no utilisation yet: it needs two samples, 1000 ms apart")
      assert.deepStrictEqual(yield* system.ask("SENTRY", { type: "thresholds" }), {
        intervalMs: 1_000,
        historyLimit: 100,
        thresholds: config.thresholds
      })
      yield* TestClock.adjust(1_000)
      const current = (yield* system.ask("SENTRY", { type: "current" })) as { cpu: { busyPercent: number }; takenAt: number }
      assert.strictEqual(current.cpu.busyPercent, 40)
      assert.strictEqual(current.takenAt, 1_000)
    }))

  it.effect("sample takes one now and replies its utilisation", () =>
    Effect.gen(function*() {
      const system = yield* start(cpuScript([60, 20]))
      yield* TestClock.adjust(400)
      const metrics = (yield* system.ask("SENTRY", { type: "sample" })) as { intervalMs: number; cpu: { busyPercent: number } }
      assert.deepStrictEqual({ intervalMs: metrics.intervalMs, busy: metrics.cpu.busyPercent }, { intervalMs: 400, busy: 60 })
      // The cadence restarts from the manual sample: the next one is due at 1400, not 1000.
      yield* TestClock.adjust(600)
      const current = (yield* system.ask("SENTRY", { type: "current" })) as { takenAt: number }
      assert.strictEqual(current.takenAt, 400)
      yield* TestClock.adjust(400)
      const next = (yield* system.ask("SENTRY", { type: "current" })) as { takenAt: number; cpu: { busyPercent: number } }
      assert.deepStrictEqual({ takenAt: next.takenAt, busy: next.cpu.busyPercent }, { takenAt: 1_400, busy: 20 })
    }))

  it.effect("a failing adapter is a rejection, not a crash, logged once, and sampling carries on", () =>
    Effect.gen(function*() {
      const [first, second] = cpuScript([30])
      const unreadable = new ProcStatsError({ source: "/proc/stat", reason: "unreadable" })
      const logs: Array<string> = []
      const system = yield* start([first!, unreadable, unreadable, second!], logs)
      yield* TestClock.adjust(500)
      const failed = yield* Effect.flip(system.ask("SENTRY", { type: "sample" }))
      assert.include(String(failed.message), "could not sample /proc: /proc/stat: unreadable")
      yield* TestClock.adjust(1_000) // the periodic sample fails the same way
      const stillNothing = yield* Effect.flip(system.ask("SENTRY", { type: "current" }))
      assert.include(String(stillNothing.message), "the last sample failed: /proc/stat: unreadable")
      yield* TestClock.adjust(1_000)
      const current = (yield* system.ask("SENTRY", { type: "current" })) as {
        intervalMs: number
        cpu: { busyPercent: number }
      }
      assert.deepStrictEqual({ intervalMs: current.intervalMs, busy: current.cpu.busyPercent }, {
        intervalMs: 2_500,
        busy: 30
      })
      assert.strictEqual(system.status("SENTRY")?.restarts, 0)
      assert.deepStrictEqual(logs.filter((line) => line.includes("/proc/stat")), [
        "Warn could not sample /proc: /proc/stat: unreadable",
        "Info sampling /proc works again after: /proc/stat: unreadable"
      ])
    }))
  it.effect("records each sample in the metric history: memory, swap, load and disk counters at once, CPU use from the second", () =>
    Effect.gen(function*() {
      const history = yield* HistoryTest.make()
      const script = cpuScript([40, 60]).map((sample, i): ProcStatsTest.ScriptedSample => ({
        ...sample,
        memory: { totalBytes: 1000, availableBytes: 600 - i, swapTotalBytes: 200, swapFreeBytes: 150 },
        load: { one: 0.5 + i, five: 0.25, fifteen: 0.125, runnable: 1, entities: 100 },
        disks: [{ name: "sda", readsCompleted: 10 * i, writesCompleted: 20 * i, sectorsRead: 100 * i, sectorsWritten: 200 * i, ioTicksMs: 1500 * i }]
      }))
      yield* start(script, [], makeInMemoryStorage(), Effect.succeed(history))
      const latest = () =>
        Effect.map(history.latest(), (all) => Object.fromEntries(all.map((s) => [s.labels.device === undefined ? s.name : `${s.name}{${s.labels.device}}`, [s.at, s.value]])))
      yield* TestClock.adjust(0)
      const first = yield* latest()
      // No CPU use yet: it is measured between two samples.
      assert.deepStrictEqual(first, {
        sigmavault_host_memory_total_bytes: [0, 1000],
        sigmavault_host_memory_available_bytes: [0, 600],
        sigmavault_host_swap_total_bytes: [0, 200],
        sigmavault_host_swap_free_bytes: [0, 150],
        sigmavault_host_load1: [0, 0.5],
        sigmavault_host_load5: [0, 0.25],
        sigmavault_host_load15: [0, 0.125],
        sigmavault_host_cpus: [0, 4],
        "sigmavault_disk_read_bytes_total{sda}": [0, 0],
        "sigmavault_disk_written_bytes_total{sda}": [0, 0],
        "sigmavault_disk_reads_completed_total{sda}": [0, 0],
        "sigmavault_disk_writes_completed_total{sda}": [0, 0],
        "sigmavault_disk_io_time_seconds_total{sda}": [0, 0]
      })
      yield* TestClock.adjust(1_000)
      yield* TestClock.adjust(1_000)
      const third = yield* latest()
      assert.deepStrictEqual(third["sigmavault_host_cpu_busy_ratio"], [2_000, 0.6])
      assert.deepStrictEqual(third["sigmavault_host_cpu_iowait_ratio"], [2_000, 0])
      assert.deepStrictEqual(third["sigmavault_host_memory_available_bytes"], [2_000, 598])
      assert.deepStrictEqual(third["sigmavault_host_load1"], [2_000, 2.5])
      assert.deepStrictEqual(third["sigmavault_disk_read_bytes_total{sda}"], [2_000, 200 * 512])
      assert.deepStrictEqual(third["sigmavault_disk_written_bytes_total{sda}"], [2_000, 400 * 512])
      assert.deepStrictEqual(third["sigmavault_disk_reads_completed_total{sda}"], [2_000, 20])
      assert.deepStrictEqual(third["sigmavault_disk_writes_completed_total{sda}"], [2_000, 40])
      assert.deepStrictEqual(third["sigmavault_disk_io_time_seconds_total{sda}"], [2_000, 3])
      const busy = yield* history.query({ name: "sigmavault_host_cpu_busy_ratio", from: 0, to: 2_000, step: 1_000 })
      assert.deepStrictEqual(busy.map((s) => [s.labels, s.points]), [[{}, [[1_000, 0.4], [2_000, 0.6]]]])
      assert.deepStrictEqual((yield* history.series("sigmavault_disk_read_bytes_total")).map((s) => s.labels), [{ device: "sda" }])
    }))
})
