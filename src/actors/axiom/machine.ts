/**
 * AXIOM: statistics over the metric history. Capacity forecasts for pools and
 * datasets (forecast.ts: level shifts, Theil–Sen, Sen's interval) and EWMA
 * anomaly scores for any series (anomaly.ts). Every message only reads the
 * history; the periodic check (at least an hour apart) raises an alert when a
 * pool is forecast full within the configured horizon, once a day at most.
 */
import { Clock, Effect, Option } from "effect"
import { StateStore } from "../../adapters/state/StateStore.ts"
import { type Labels as HistoryLabels, MetricHistory, type SeriesKey, seriesId } from "../../history/History.ts"
import { AgentEnv, type Capability } from "../../runtime/Agent.ts"
import { serviceMachine } from "../shared/serve.ts"
import * as Anomaly from "./anomaly.ts"
import { ALERT_EVERY_MS, AxiomConfig, MIN_CHECK_INTERVAL_MS } from "./config.ts"
import * as F from "./forecast.ts"
import {
  AmbiguousSeries,
  Axiom,
  type ForecastReport,
  InsufficientHistory,
  NoCapacity,
  NoSuchSeries,
  PoolOrDataset,
  type Subject
} from "./messages.ts"

export const POOL_USED = "sigmavault_pool_allocated_bytes"
export const POOL_SIZE = "sigmavault_pool_size_bytes"
export const DATASET_USED = "sigmavault_dataset_used_bytes"
export const DATASET_AVAILABLE = "sigmavault_dataset_available_bytes"

/** Points read per forecast window (consolidated with "last": a step stays a step). */
const FORECAST_POINTS = 1_000
/** Points read per anomaly window (consolidated with "avg"). */
const ANOMALY_POINTS = 4_000
const HOUR_MS = 3_600_000
const MAX_SERIES = 100
/** The state store's key for the pools' last alert times. */
const ALERTS_KEY = "axiom-alerts"

export const axiomCapabilities: ReadonlyArray<Capability> = [
  {
    name: "capacity-forecast",
    available: true,
    detail: "days until a pool or dataset is 80/90/100 % full from its usage history: level shifts detected, " +
      "Theil–Sen slope with Sen's 95 % interval, \"not growing\" when flat or shrinking; an alert when a pool is full within the horizon"
  },
  {
    name: "anomaly-scoring",
    available: true,
    detail: "z-score of a value or a series' newest sample against its EWMA mean/variance baseline; the spikes of a series over a window"
  }
]

const GiB = 1024 ** 3
const bytesText = (n: number) => {
  const abs = Math.abs(n)
  if (abs >= 1024 ** 4) return `${(n / 1024 ** 4).toFixed(2)} TiB`
  if (abs >= GiB) return `${(n / GiB).toFixed(2)} GiB`
  if (abs >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`
  return `${Math.round(n)} B`
}
const daysText = (d: number) => (d < 1 ? `${(d * 24).toFixed(1)} h` : d < 100 ? `${d.toFixed(1)} days` : `${Math.round(d)} days`)
const dateOf = (now: number, days: number | null) => {
  if (days === null) return null
  const at = now + days * F.DAY_MS
  return Math.abs(at) < 8.64e15 ? new Date(at).toISOString() : null
}

const matchersOf = (labels: HistoryLabels) => Object.entries(labels).map(([label, value]) => ({ label, op: "=" as const, value }))
const hasLabels = (key: SeriesKey, labels: HistoryLabels | undefined) =>
  Object.entries(labels ?? {}).every(([label, value]) => (key.labels[label] ?? "") === value)

const subjectText = (subject: Subject) => (subject.kind === "pool" ? `pool ${subject.pool}` : `dataset ${subject.dataset}`)

/** One sentence: where it is, where it goes, when. */
export const summarise = (subject: Subject, f: F.Forecast): string => {
  const used = `${((f.current / f.capacity) * 100).toFixed(1)} % used`
  const rate = `${bytesText(f.fit.slopePerDay)}/day (${bytesText(f.fit.slopeLowPerDay)} to ${bytesText(f.fit.slopeHighPerDay)})`
  const reached = f.crossings.filter((c) => c.status === "reached").map((c) => `${c.percent} %`)
  const parts = [`${subjectText(subject)}: ${used}`]
  if (f.trend === "growing") {
    parts.push(`growing ${rate}`)
    for (const c of f.crossings) {
      if (c.status !== "expected") continue
      parts.push(`${c.percent === 100 ? "full" : `${c.percent} %`} in ${daysText(c.days!)} (${daysText(c.low!)} to ${daysText(c.high!)})`)
    }
  } else {
    parts.push(`${f.trend === "flat" ? "not growing" : "shrinking"}: ${rate}, so no date is forecast`)
  }
  if (reached.length > 0) parts.push(`${reached.join(", ")} already reached`)
  // Old data is extrapolated to now: say how old.
  const age = (f.now - f.fit.to) / F.DAY_MS
  if (age >= 1) parts.push(`the newest sample is ${daysText(age)} old`)
  if (f.fit.shifts.length > 0) parts.push(`${f.fit.shifts.length} level shift${f.fit.shifts.length === 1 ? "" : "s"} seen (fit: ${f.fit.method})`)
  return parts.join("; ")
}

export const axiomMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const history = yield* MetricHistory
  const config = yield* AxiomConfig
  const store = yield* StateStore
  // When each pool was last alerted about, kept across restarts: "once a day" holds when the daemon restarts too.
  const kept = yield* Effect.catch(store.read(ALERTS_KEY), (error) =>
    Effect.as(Effect.logWarning(`cannot read AXIOM's alert times, starting afresh: ${error.message}`), Option.none()))
  const lastAlert = new Map<string, number>(
    Option.match(kept, {
      onNone: () => [],
      onSome: (data) =>
        data !== null && typeof data === "object"
          ? Object.entries(data as Record<string, unknown>).flatMap(([pool, at]) => (typeof at === "number" && Number.isFinite(at) ? [[pool, at] as const] : []))
          : []
    })
  )

  /** The forecast of one subject, read from the history. */
  const forecastOf = (subject: Subject, days: number) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const windowMs = days * F.DAY_MS
      const from = now - windowMs
      const stepMs = F.niceStep(Math.max(60_000, windowMs / FORECAST_POINTS))
      const labels: HistoryLabels = subject.kind === "pool" ? { pool: subject.pool } : { pool: subject.pool, dataset: subject.dataset! }
      const usedName = subject.kind === "pool" ? POOL_USED : DATASET_USED
      const series = seriesId(usedName, labels)
      const [used] = yield* history.query({ name: usedName, matchers: matchersOf(labels), from, to: now, step: stepMs, consolidate: "last" })
      if (used === undefined || used.points.length === 0) return yield* new NoSuchSeries({ series })
      const capacitySeries = subject.kind === "pool" ? seriesId(POOL_SIZE, labels) : seriesId(DATASET_AVAILABLE, labels)
      const capacity = subject.kind === "pool"
        ? (yield* history.latest(POOL_SIZE)).find((s) => hasLabels(s, labels))?.value
        : (() => undefined)()
      let capacityBytes = capacity
      if (subject.kind === "dataset") {
        // A dataset can grow until it uses what it uses now plus what is still available to it.
        const available = (yield* history.latest(DATASET_AVAILABLE)).find((s) => hasLabels(s, labels))
        const usedNow = (yield* history.latest(DATASET_USED)).find((s) => hasLabels(s, labels))
        capacityBytes = available === undefined || usedNow === undefined ? undefined : available.value + usedNow.value
      }
      if (capacityBytes === undefined || !(capacityBytes > 0)) return yield* new NoCapacity({ series: capacitySeries })
      // The newest bucket's point stands at its step's start: the newest sample itself says where usage is now.
      const newest = (yield* history.latest(usedName)).find((s) => hasLabels(s, labels))
      const points = newest === undefined || newest.at < from
        ? used.points
        : [...used.points.filter(([at]) => at + stepMs <= newest.at), [newest.at, newest.value] as const]
      const result = F.forecast(points, { capacity: capacityBytes, now })
      if (!result.ok) {
        return yield* new InsufficientHistory({
          series,
          points: result.points,
          spanHours: result.spanMs / HOUR_MS,
          needPoints: result.needPoints,
          needHours: result.needSpanMs / HOUR_MS
        })
      }
      const report: ForecastReport = {
        subject,
        series,
        capacityBytes,
        usedBytes: result.current,
        usedPercent: (result.current / capacityBytes) * 100,
        trend: result.trend,
        growthBytesPerDay: result.fit.slopePerDay,
        growthLowBytesPerDay: result.fit.slopeLowPerDay,
        growthHighBytesPerDay: result.fit.slopeHighPerDay,
        crossings: result.crossings.map((c) => ({ ...c, date: dateOf(now, c.days) })),
        fit: {
          method: result.fit.method,
          window: { from, to: now, days, stepMs },
          from: result.fit.from,
          to: result.fit.to,
          points: result.fit.points,
          shifts: result.fit.shifts,
          levelBytes: result.fit.level,
          residualSdBytes: result.fit.residualSd,
          confidence: result.fit.confidence
        },
        summary: summarise(subject, result)
      }
      return { report, urgency: F.urgency(result) }
    })

  const subjects = (datasets: boolean) =>
    Effect.gen(function*() {
      const pools = (yield* history.series(POOL_USED)).flatMap((s) => (s.labels["pool"] === undefined ? [] : [{ kind: "pool" as const, pool: s.labels["pool"] }]))
      const sets = datasets
        ? (yield* history.series(DATASET_USED)).flatMap((s) =>
          s.labels["pool"] === undefined || s.labels["dataset"] === undefined
            ? []
            : [{ kind: "dataset" as const, pool: s.labels["pool"], dataset: s.labels["dataset"] }])
        : []
      return [...pools, ...sets] as ReadonlyArray<Subject>
    })

  const forecasts = (days: number, datasets: boolean) =>
    Effect.gen(function*() {
      const all = yield* subjects(datasets)
      const done: Array<{ report: ForecastReport; urgency: number }> = []
      const skipped: Array<{ subject: Subject; reason: string }> = []
      for (const subject of all) {
        const outcome = yield* Effect.result(forecastOf(subject, days))
        if (outcome._tag === "Success") done.push(outcome.success)
        else if (outcome.failure._tag === "HistoryUnavailable") return yield* outcome.failure
        else skipped.push({ subject, reason: outcome.failure.message })
      }
      done.sort((a, b) => a.urgency - b.urgency || b.report.usedPercent - a.report.usedPercent)
      return { forecasts: done.map((d) => d.report), skipped }
    })

  /** The periodic check: an alert per pool forecast full within the horizon, once a day at most. */
  const check = Effect.gen(function*() {
    if (!(config.alertHorizonDays > 0)) return
    const { forecasts: reports } = yield* forecasts(config.windowDays, false)
    const now = yield* Clock.currentTimeMillis
    for (const report of reports) {
      const full = report.crossings.find((c) => c.percent === 100)
      if (full === undefined) continue
      const soon = full.status === "reached" || (full.status === "expected" && full.days! <= config.alertHorizonDays)
      if (!soon) continue
      const pool = report.subject.pool
      const last = lastAlert.get(pool)
      if (last !== undefined && now - last < ALERT_EVERY_MS) continue
      lastAlert.set(pool, now)
      yield* Effect.catch(store.write(ALERTS_KEY, Object.fromEntries(lastAlert)), (error) =>
        Effect.logWarning(`cannot keep AXIOM's alert times: ${error.message}`))
      yield* env.alert({
        severity: full.status === "reached" || full.days! <= 3 ? "critical" : "warning",
        subject: `pool ${pool}`,
        code: full.status === "reached" ? "AXIOM-POOL-FULL" : "AXIOM-FULL-SOON",
        text: full.status === "reached"
          ? `pool ${pool} is full (${report.usedPercent.toFixed(1)} % used)`
          : `pool ${pool} is forecast full in ${daysText(full.days!)} (${daysText(full.low!)} to ${daysText(full.high!)}): ${report.summary}`
      })
    }
  })

  /** The one series of `metric` with `labels`, or a typed refusal. */
  const oneSeries = (metric: string, labels: HistoryLabels | undefined) =>
    Effect.gen(function*() {
      const found = (yield* history.series(metric)).filter((s) => hasLabels(s, labels))
      if (found.length === 0) return yield* new NoSuchSeries({ series: seriesId(metric, labels) })
      if (found.length > 1) {
        return yield* new AmbiguousSeries({ metric, matches: found.slice(0, 10).map((s) => seriesId(s.name, s.labels)) })
      }
      return found[0]!
    })

  const windowOf = (hours: number | undefined) =>
    Effect.map(Clock.currentTimeMillis, (now) => {
      const windowMs = (hours ?? 24) * HOUR_MS
      return { from: now - windowMs, to: now, stepMs: F.niceStep(windowMs / ANOMALY_POINTS) }
    })

  return yield* serviceMachine(Axiom, {
    every: { intervalMs: Math.max(MIN_CHECK_INTERVAL_MS, config.checkIntervalMs), run: check },
    handlers: {
      forecast: (message) =>
        Effect.gen(function*() {
          if ((message.pool === undefined) === (message.dataset === undefined)) return yield* new PoolOrDataset()
          const subject: Subject = message.pool !== undefined
            ? { kind: "pool", pool: message.pool }
            : { kind: "dataset", pool: message.dataset!.split("/")[0]!, dataset: message.dataset! }
          return (yield* forecastOf(subject, message.days ?? 30)).report
        }),
      forecasts: (message) => forecasts(message.days ?? 30, message.datasets ?? true),
      anomaly: (message) =>
        Effect.gen(function*() {
          const key = yield* oneSeries(message.metric, message.labels)
          const window = yield* windowOf(message.hours)
          const [series] = yield* history.query({
            name: key.name,
            matchers: matchersOf(key.labels),
            from: window.from,
            to: window.to,
            step: window.stepMs,
            consolidate: "avg"
          })
          const id = seriesId(key.name, key.labels)
          let points = series?.points ?? []
          let value = message.value
          let at: number | null = null
          if (value === undefined) {
            const newest = (yield* history.latest(key.name)).find((s) => seriesId(s.name, s.labels) === id)
            if (newest === undefined) return yield* new NoSuchSeries({ series: id })
            value = newest.value
            at = newest.at
            // The baseline is what came before: buckets that end before the newest sample.
            points = points.filter(([start]) => start + window.stepMs <= newest.at)
          }
          const options = { halfLife: message.halfLife, threshold: message.threshold }
          const scored = Anomaly.score(points, value, options)
          if (scored === undefined) {
            const span = points.length < 2 ? 0 : points[points.length - 1]![0] - points[0]![0]
            return yield* new InsufficientHistory({
              series: id,
              points: points.length,
              spanHours: span / HOUR_MS,
              needPoints: Anomaly.DEFAULT_WARMUP,
              needHours: 0
            })
          }
          const { baseline, score, verdict, threshold } = scored
          const side = score >= 0 ? "above" : "below"
          return {
            series: id,
            labels: key.labels,
            value,
            source: message.value === undefined ? "newest" as const : "given" as const,
            at,
            score,
            threshold,
            verdict,
            anomalous: verdict !== "normal",
            baseline: {
              mean: baseline.mean,
              sd: baseline.sd,
              samples: baseline.samples,
              halfLifeSamples: baseline.halfLife,
              from: points[0]![0],
              to: points[points.length - 1]![0],
              stepMs: window.stepMs
            },
            explanation: `${id} = ${value} is ${Math.abs(score).toPrecision(3)} standard deviations ${side} its baseline ` +
              `(EWMA mean ${baseline.mean.toPrecision(6)}, sd ${baseline.sd.toPrecision(3)}, from ${baseline.samples} samples, ` +
              `half-life ${baseline.halfLife} samples); threshold ${threshold}: ${verdict === "normal" ? "normal" : `anomalous (${verdict})`}`
          }
        }),
      anomalies: (message) =>
        Effect.gen(function*() {
          const keys = (yield* history.series(message.metric)).filter((s) => hasLabels(s, message.labels))
          if (keys.length === 0) return yield* new NoSuchSeries({ series: seriesId(message.metric, message.labels) })
          const window = yield* windowOf(message.hours)
          const limit = message.limit ?? 50
          const threshold = Math.max(0.5, message.threshold ?? Anomaly.DEFAULT_THRESHOLD)
          const out = []
          const skipped: Array<{ series: string; reason: string }> = []
          for (const [i, key] of keys.entries()) {
            const id = seriesId(key.name, key.labels)
            if (i >= MAX_SERIES) {
              skipped.push({ series: id, reason: `more than ${MAX_SERIES} series match: name fewer with "labels"` })
              continue
            }
            const [series] = yield* history.query({
              name: key.name,
              matchers: matchersOf(key.labels),
              from: window.from,
              to: window.to,
              step: window.stepMs,
              consolidate: "avg"
            })
            const points = series?.points ?? []
            const scan = Anomaly.scan(points, { halfLife: message.halfLife, threshold })
            if (scan === undefined) {
              skipped.push({ series: id, reason: `${points.length} samples in the window; at least ${Anomaly.DEFAULT_WARMUP} are needed` })
              continue
            }
            out.push({
              series: id,
              labels: key.labels,
              samples: points.length,
              scored: scan.scored,
              baseline: {
                mean: scan.baseline.mean,
                sd: scan.baseline.sd,
                samples: scan.baseline.samples,
                halfLifeSamples: scan.baseline.halfLife,
                from: points[0]![0],
                to: points[points.length - 1]![0],
                stepMs: window.stepMs
              },
              anomalies: scan.anomalies.slice(-limit),
              truncated: scan.anomalies.length > limit,
              shifts: scan.shifts
            })
          }
          return { window, threshold, series: out, skipped }
        })
    }
  })
})
