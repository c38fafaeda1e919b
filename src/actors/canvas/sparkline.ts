/**
 * A terminal sparkline: a window cut into `width` equal cells, each drawn as
 * one of ▁▂▃▄▅▆▇█ by the mean of the points in it (scaled between the
 * smallest and largest cell), a space where there is no point; with the
 * smallest, largest and newest point. Pure.
 */
import type { Point } from "./series.ts"

export const LEVELS = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"] as const

/** The mean value of each of `width` cells over [from, to] (undefined: no point in the cell). */
export const cellsOf = (segments: ReadonlyArray<ReadonlyArray<Point>>, from: number, to: number, width: number): Array<number | undefined> => {
  const sums = new Array<number>(width).fill(0)
  const counts = new Array<number>(width).fill(0)
  const span = Math.max(1, to - from)
  for (const segment of segments) {
    for (const [at, value] of segment) {
      if (at < from || at > to) continue
      const cell = Math.min(width - 1, Math.floor(((at - from) / span) * width))
      sums[cell]! += value
      counts[cell]!++
    }
  }
  return sums.map((sum, i) => (counts[i] === 0 ? undefined : sum / counts[i]!))
}

/** The glyph of `value` between `min` and `max`: ▁ for the smallest, █ for the largest, ▁ for all when they are equal. */
export const level = (value: number, min: number, max: number): string => {
  if (!(max > min)) return LEVELS[0]
  const i = Math.round(((value - min) / (max - min)) * (LEVELS.length - 1))
  return LEVELS[Math.max(0, Math.min(LEVELS.length - 1, i))]!
}

export interface Sparkline {
  readonly line: string
  /** over the points in the window (so `last` is never outside them), undefined without data */
  readonly min: number | undefined
  readonly max: number | undefined
  /** the newest point itself */
  readonly last: number | undefined
  readonly lastAt: number | undefined
}

export const sparkline = (segments: ReadonlyArray<ReadonlyArray<Point>>, from: number, to: number, width: number): Sparkline => {
  const cells = cellsOf(segments, from, to, width)
  const drawn = cells.filter((c): c is number => c !== undefined)
  const low = Math.min(...drawn)
  const high = Math.max(...drawn)
  const line = cells.map((c) => (c === undefined ? " " : level(c, low, high))).join("")
  const inside = segments.flatMap((s) => s.filter(([at]) => at >= from && at <= to))
  const values = inside.map(([, v]) => v)
  const newest = inside.at(-1)
  return {
    line,
    min: values.length === 0 ? undefined : values.reduce((m, v) => Math.min(m, v), Infinity),
    max: values.length === 0 ? undefined : values.reduce((m, v) => Math.max(m, v), -Infinity),
    last: newest?.[1],
    lastAt: newest?.[0]
  }
}
