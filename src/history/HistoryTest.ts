/**
 * The metric history for tests: every raw sample kept in memory, queries
 * answered by brute force (the reference HistoryLive is checked against).
 * Bounded by a series cap like the real store; never persisted.
 */
import { Clock, Effect, Layer } from "effect"
import {
  compileMatchers,
  type HistoryStats,
  HistoryQueryInvalid,
  invalidSample,
  type Labels,
  MAX_POINTS,
  MetricHistory,
  type MetricHistoryShape,
  type Query,
  type Sample,
  type SeriesPoints,
  seriesId
} from "./History.ts"

interface RawSeries {
  readonly name: string
  readonly labels: Labels
  /** [at, value] in the order recorded */
  readonly points: Array<readonly [number, number]>
}

export interface HistoryTestOptions {
  readonly maxSeries?: number
}

/** Buckets `points` into steps of `step` ms starting at multiples of `step`, combined with `consolidate`. */
export const consolidate = (
  points: ReadonlyArray<readonly [number, number]>,
  from: number,
  to: number,
  step: number,
  how: NonNullable<Query["consolidate"]>
): Array<readonly [number, number]> => {
  const buckets = new Map<number, { sum: number; n: number; min: number; max: number; last: number; lastAt: number }>()
  for (const [at, value] of points) {
    if (at < from || at > to) continue
    const start = Math.floor(at / step) * step
    const b = buckets.get(start)
    if (b === undefined) buckets.set(start, { sum: value, n: 1, min: value, max: value, last: value, lastAt: at })
    else {
      b.sum += value
      b.n++
      b.min = Math.min(b.min, value)
      b.max = Math.max(b.max, value)
      if (at >= b.lastAt) {
        b.last = value
        b.lastAt = at
      }
    }
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([start, b]) => [start, how === "avg" ? b.sum / b.n : how === "min" ? b.min : how === "max" ? b.max : b.last] as const)
}

export const make = (options: HistoryTestOptions = {}): Effect.Effect<MetricHistoryShape> =>
  Effect.sync(() => {
    const maxSeries = options.maxSeries ?? 10_000
    const all = new Map<string, RawSeries>()
    let samples = 0
    const refused = { seriesCap: 0, byteCap: 0, invalid: 0 }
    const matching = (name: string | undefined) => [...all.values()].filter((s) => name === undefined || s.name === name)

    const shape: MetricHistoryShape = {
      record: (batch: ReadonlyArray<Sample>) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          let accepted = 0
          let refusedHere = 0
          for (const sample of batch) {
            if (invalidSample(sample) !== undefined) {
              refused.invalid++
              refusedHere++
              continue
            }
            const id = seriesId(sample.name, sample.labels)
            let series = all.get(id)
            if (series === undefined) {
              if (all.size >= maxSeries) {
                refused.seriesCap++
                refusedHere++
                continue
              }
              const labels = Object.fromEntries(Object.entries(sample.labels ?? {}).filter(([, v]) => v !== ""))
              series = { name: sample.name, labels, points: [] }
              all.set(id, series)
            }
            series.points.push([sample.at ?? now, sample.value])
            samples++
            accepted++
          }
          return { accepted, refused: refusedHere }
        }),
      query: (query: Query) =>
        Effect.suspend(() => {
          if (!(query.from <= query.to)) return Effect.fail(new HistoryQueryInvalid({ field: "from", reason: "is after 'to'" }))
          const step = query.step ?? 1
          if (!(step >= 1)) return Effect.fail(new HistoryQueryInvalid({ field: "step", reason: "must be at least 1 ms" }))
          if ((query.to - query.from) / step > MAX_POINTS) {
            return Effect.fail(new HistoryQueryInvalid({ field: "step", reason: `would give more than ${MAX_POINTS} points per series` }))
          }
          const test = compileMatchers(query.matchers)
          if (test instanceof HistoryQueryInvalid) return Effect.fail(test)
          const out: Array<SeriesPoints> = []
          for (const s of matching(query.name)) {
            if (!test(s.labels)) continue
            const points = consolidate(s.points, query.from, query.to, step, query.consolidate ?? "avg")
            out.push({ name: s.name, labels: s.labels, resolution: 1, points })
          }
          return Effect.succeed(out)
        }),
      series: (name) => Effect.sync(() => matching(name).map((s) => ({ name: s.name, labels: s.labels }))),
      latest: (name) =>
        Effect.sync(() =>
          matching(name).flatMap((s) => {
            let best: readonly [number, number] | undefined
            for (const p of s.points) if (best === undefined || p[0] >= best[0]) best = p
            return best === undefined ? [] : [{ name: s.name, labels: s.labels, at: best[0], value: best[1] }]
          })
        ),
      stats: Effect.sync((): HistoryStats => ({
        series: all.size,
        maxSeries,
        bytes: [...all.values()].reduce((n, s) => n + s.points.length * 16, 0),
        maxBytes: Number.MAX_SAFE_INTEGER,
        samples,
        refused: { ...refused },
        tiers: [{ step: 1, retention: Number.MAX_SAFE_INTEGER }]
      })),
      flush: Effect.void
    }
    return shape
  })

export const layer = (options: HistoryTestOptions = {}): Layer.Layer<MetricHistory> => Layer.effect(MetricHistory, make(options))
