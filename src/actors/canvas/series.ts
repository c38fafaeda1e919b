/**
 * From the history's points to what is drawn: counters become rates per
 * second (a counter that went down was reset, and counts again from zero, as
 * Prometheus' rate() takes it), lines break where there is no data, and a
 * selection of many series is cut to the few with the highest peaks. Pure.
 */
import type { Labels, SeriesPoints } from "../../history/History.ts"

export type Point = readonly [number, number]

export interface Line {
  readonly name: string
  readonly labels: Labels
  /** runs of points without a gap, in time order; never empty runs */
  readonly segments: ReadonlyArray<ReadonlyArray<Point>>
}

/** The median interval between consecutive points (0 with fewer than two). */
const medianInterval = (points: ReadonlyArray<Point>): number => {
  if (points.length < 2) return 0
  const gaps = points.slice(1).map(([t], i) => t - points[i]![0]).sort((a, b) => a - b)
  return gaps[Math.floor(gaps.length / 2)]!
}

/**
 * The longest interval still drawn as a line: two steps (one empty step is the
 * sampler's jitter, not an outage), the store's resolution twice over, or
 * two and a half times the series' usual interval (a series recorded every
 * minute is not a row of dots on a 10 s grid).
 */
export const gapLimit = (points: ReadonlyArray<Point>, step: number, resolution: number): number =>
  Math.max(2 * step, 2 * resolution, 2.5 * medianInterval(points))

/** Points in time order, one per time (the last wins), finite values only. */
export const clean = (points: ReadonlyArray<Point>): Array<Point> => {
  const sorted = points.filter(([t, v]) => Number.isFinite(t) && Number.isFinite(v)).slice().sort((a, b) => a[0] - b[0])
  const out: Array<Point> = []
  for (const p of sorted) {
    if (out.length > 0 && out[out.length - 1]![0] === p[0]) out[out.length - 1] = p
    else out.push(p)
  }
  return out
}

/** Splits points (in time order) where consecutive ones are more than `limit` ms apart. */
export const segmentsOf = (points: ReadonlyArray<Point>, limit: number): Array<Array<Point>> => {
  const segments: Array<Array<Point>> = []
  let current: Array<Point> = []
  for (const p of points) {
    if (current.length > 0 && p[0] - current[current.length - 1]![0] > limit) {
      segments.push(current)
      current = []
    }
    current.push(p)
  }
  if (current.length > 0) segments.push(current)
  return segments
}

/**
 * A counter's rate per second between consecutive points, placed at the later
 * one. Across a gap there is no rate; a decrease is a reset, so the increase
 * is the new value itself.
 */
export const ratesOf = (points: ReadonlyArray<Point>, limit: number): Array<Array<Point>> =>
  segmentsOf(points, limit).flatMap((segment) => {
    const rates: Array<Point> = []
    for (let i = 1; i < segment.length; i++) {
      const [t0, v0] = segment[i - 1]!
      const [t1, v1] = segment[i]!
      const increase = v1 >= v0 ? v1 - v0 : v1
      rates.push([t1, increase / ((t1 - t0) / 1000)])
    }
    return rates.length === 0 ? [] : [rates]
  })

/** The lines of a selection: rates for a counter, values for a gauge, split at gaps. */
export const linesOf = (series: ReadonlyArray<SeriesPoints>, options: { readonly counter: boolean; readonly step: number }): Array<Line> =>
  series.map((s) => {
    const points = clean(s.points)
    const limit = gapLimit(points, options.step, s.resolution)
    return { name: s.name, labels: s.labels, segments: options.counter ? ratesOf(points, limit) : segmentsOf(points, limit) }
  })

export const valuesOf = (line: Line): Array<number> => line.segments.flatMap((s) => s.map(([, v]) => v))

/** The last point of a line, if any. */
export const lastOf = (line: Line): Point | undefined => line.segments.at(-1)?.at(-1)

/**
 * A label value quoted as a JSON string, DEL and the C1 controls escaped too
 * (JSON leaves them; some terminals take U+009B as an escape sequence's start).
 */
export const quoteValue = (value: string | undefined): string =>
  JSON.stringify(value ?? "").replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)

/** Canonical text of a series' labels: `a="1", b="2"` sorted by name, values quoted (quoteValue): safe on a terminal. */
export const labelText = (labels: Labels): string =>
  Object.keys(labels).sort().map((k) => `${k}=${quoteValue(labels[k])}`).join(", ")

/**
 * At most `limit` lines: those with the highest peak (then by labels, for a
 * stable order); lines without a point go last. Returns the kept lines (in
 * label order) and how many were left out.
 */
export const capLines = (lines: ReadonlyArray<Line>, limit: number): { readonly kept: ReadonlyArray<Line>; readonly omitted: number } => {
  const peak = (line: Line) => valuesOf(line).reduce((m, v) => Math.max(m, v), -Infinity)
  const ranked = lines.map((line) => ({ line, peak: peak(line), text: labelText(line.labels) }))
    .sort((a, b) => (a.peak === b.peak ? 0 : b.peak > a.peak ? 1 : -1) || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0))
  const kept = ranked.slice(0, limit).sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0)).map((r) => r.line)
  return { kept, omitted: Math.max(0, lines.length - limit) }
}
