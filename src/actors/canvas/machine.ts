/**
 * CANVAS: charts of the metric history. `chart` draws a selection of a
 * metric's series as an SVG document, `sparkline` as a line of ▁▂▃▄▅▆▇█ per
 * series. Both read the history at a step suited to the window, draw
 * counters as rates per second (resets handled), break lines where there is
 * no data, and cap the number of series (saying how many were left out).
 * Nothing runs between requests.
 */
import { Clock, Effect } from "effect"
import { MetricHistory, type Matcher } from "../../history/History.ts"
import { METRICS, metricDef } from "../../history/catalogue.ts"
import type { Capability } from "../../runtime/Agent.ts"
import { serviceMachine } from "../shared/serve.ts"
import { Canvas, InvalidWindow, UnknownMetric } from "./messages.ts"
import { selectorText } from "./selector.ts"
import { capLines, linesOf, type Line } from "./series.ts"
import { sparkline } from "./sparkline.ts"
import { renderChart } from "./svg.ts"
import { DAY, MAX_WINDOW_MS, offsetName, parseDuration, queryStep, windowText } from "./time.ts"
import { displayUnit, formatValue } from "./units.ts"

export const canvasCapabilities: ReadonlyArray<Capability> = [
  {
    name: "svg-chart",
    available: true,
    detail: "an SVG document of any series of the metric history: value axis in the unit's human scale, time labels suited to the window, " +
      "one line per series with a legend (at most 12), gaps where there is no data, counters as rates per second"
  },
  {
    name: "sparkline",
    available: true,
    detail: "a terminal sparkline (▁▂▃▄▅▆▇█) of each series of a selection at a given width, with min, max and last"
  }
]

export const DEFAULT_WIDTH = 960
export const DEFAULT_HEIGHT = 420
export const DEFAULT_CHART_LIMIT = 8
export const DEFAULT_SPARK_WIDTH = 60
export const DEFAULT_SPARK_LIMIT = 20

interface WindowRequest {
  readonly since?: string | undefined
  readonly from?: number | undefined
  readonly to?: number | undefined
}

/** The window a request names, or why it cannot be drawn. Default: the last 24 hours. */
export const windowOf = (request: WindowRequest, now: number): { readonly since: string | undefined; readonly from: number; readonly to: number } | InvalidWindow => {
  if (request.since !== undefined) {
    if (request.from !== undefined || request.to !== undefined) return new InvalidWindow({ field: "since", reason: "cannot be given with from or to" })
    const ms = parseDuration(request.since)
    if (typeof ms === "string") return new InvalidWindow({ field: "since", reason: ms })
    return { since: request.since, from: now - ms, to: now }
  }
  if (request.from === undefined && request.to === undefined) return { since: "24h", from: now - DAY, to: now }
  const to = request.to ?? now
  const from = request.from ?? to - DAY
  if (!(from < to)) return new InvalidWindow({ field: "from", reason: "must be before 'to'" })
  if (to - from > MAX_WINDOW_MS) return new InvalidWindow({ field: "from", reason: "is more than two years before 'to' (the history keeps two years)" })
  return { since: undefined, from, to }
}

/** Catalogue names sharing the longest prefix with `metric` (at most three). */
const near = (metric: string): ReadonlyArray<string> => {
  const common = (a: string, b: string) => {
    let i = 0
    while (i < a.length && a[i] === b[i]) i++
    return i
  }
  return METRICS.map((m) => ({ name: m.name, score: common(m.name, metric) }))
    .filter((m) => m.score > "sigmavault_".length)
    .sort((a, b) => b.score - a.score || (a.name < b.name ? -1 : 1))
    .slice(0, 3)
    .map((m) => m.name)
}

export interface Selection extends WindowRequest {
  readonly metric: string
  readonly matchers?: ReadonlyArray<Matcher> | undefined
}

export const canvasMachine = Effect.gen(function*() {
  const history = yield* MetricHistory

  /** Reads a selection at about `points` points per series over its window. */
  const read = (request: Selection, points: number, limit: number) =>
    Effect.gen(function*() {
      const def = metricDef(request.metric)
      if (def === undefined) return yield* Effect.fail(new UnknownMetric({ metric: request.metric, known: [...near(request.metric)] }))
      const window = windowOf(request, yield* Clock.currentTimeMillis)
      if (window instanceof InvalidWindow) return yield* Effect.fail(window)
      const step = queryStep(window.to - window.from, points)
      // Points sit at the start of their step: the window starts on a step, so the first is in it.
      const from = Math.floor(window.from / step) * step
      const rate = def.type === "counter"
      // A counter's first rate needs the point before the window.
      const series = yield* history.query({
        name: def.name,
        matchers: request.matchers,
        from: rate ? from - step : from,
        to: window.to,
        step,
        consolidate: rate ? "last" : "avg"
      })
      // A counter's point is the last value of its step: the step still filling (at the window's end) would
      // pair a partial step with whole ones and misstate the rate, so it is left out until it is whole.
      // (A step is the store's resolution when that is coarser than the step asked for.)
      const placed = rate ? series.map((s) => ({ ...s, points: s.points.filter(([t]) => t + Math.max(step, s.resolution) <= window.to) })) : series
      const lines = linesOf(placed, { counter: rate, step }).map((line): Line => ({
        ...line,
        segments: line.segments.map((s) => s.filter(([at]) => at >= from)).filter((s) => s.length > 0)
      }))
      const { kept, omitted } = capLines(lines, limit)
      return {
        def,
        rate,
        kept,
        window: { since: window.since, from, to: window.to },
        read: {
          metric: def.name,
          selector: selectorText(def.name, request.matchers),
          type: def.type,
          unit: displayUnit(def.unit, rate),
          rate,
          from,
          to: window.to,
          step,
          matched: series.length,
          omitted
        }
      }
    })

  return yield* serviceMachine(Canvas, {
    handlers: {
      chart: (request) =>
        Effect.gen(function*() {
          const width = request.width ?? DEFAULT_WIDTH
          const got = yield* read(request, Math.max(60, Math.floor((width - 96) / 2)), request.limit ?? DEFAULT_CHART_LIMIT)
          const offset = request.utcOffsetMinutes ?? 0
          const svg = renderChart({
            selector: got.read.selector,
            help: got.def.help,
            unit: got.read.unit,
            rate: got.rate,
            from: got.window.from,
            to: got.window.to,
            windowText: windowText(got.window, offset),
            offsetName: offsetName(offset),
            offsetMinutes: offset,
            width,
            height: request.height ?? DEFAULT_HEIGHT,
            lines: got.kept,
            omitted: got.read.omitted
          })
          return { ...got.read, svg }
        }),
      sparkline: (request) =>
        Effect.gen(function*() {
          const width = request.width ?? DEFAULT_SPARK_WIDTH
          const got = yield* read(request, width * 4, request.limit ?? DEFAULT_SPARK_LIMIT)
          const series = got.kept.map((line) => {
            const s = sparkline(line.segments, got.window.from, got.window.to, width)
            const f = (v: number) => formatValue(v, got.read.unit)
            return {
              labels: { ...line.labels },
              line: s.line,
              ...(s.min === undefined ? {} : { min: s.min }),
              ...(s.max === undefined ? {} : { max: s.max }),
              ...(s.last === undefined ? {} : { last: s.last }),
              ...(s.lastAt === undefined ? {} : { lastAt: s.lastAt }),
              text: s.last === undefined ? "no data" : `min ${f(s.min!)} · max ${f(s.max!)} · last ${f(s.last)}`
            }
          })
          return { ...got.read, width, series }
        })
    }
  })
})
