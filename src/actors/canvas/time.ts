/**
 * Time for charts: windows ("7d" back from now, or from/to), the step a query
 * is read at, and the ticks of a time axis with labels suited to the window
 * (clock times for hours, dates for days and weeks), in a given UTC offset.
 * Pure.
 */

export const SECOND = 1_000
export const MINUTE = 60 * SECOND
export const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR
export const WEEK = 7 * DAY

/** The longest window a chart covers: the history keeps two years at most. */
export const MAX_WINDOW_MS = 731 * DAY

const UNITS: Readonly<Record<string, number>> = { s: SECOND, m: MINUTE, h: HOUR, d: DAY, w: WEEK }

/** A duration like 90s, 15m, 1h, 24h, 7d, 30d, 2w: its milliseconds, or why not. */
export const parseDuration = (text: string): number | string => {
  const match = /^([1-9][0-9]{0,5})([smhdw])$/.exec(text)
  if (match === null) return `'${text.slice(0, 40)}' is not a duration such as 1h, 24h, 7d or 30d (a whole number and one of s, m, h, d, w)`
  const ms = Number(match[1]) * UNITS[match[2]!]!
  if (ms < MINUTE) return `'${text}' is shorter than a minute`
  if (ms > MAX_WINDOW_MS) return `'${text}' is longer than the two years the history keeps`
  return ms
}

/** The ms steps queries are read at: each a whole number of the coarser history tiers' steps or a divisor of them. */
const STEPS = [
  SECOND, 2 * SECOND, 5 * SECOND, 10 * SECOND, 15 * SECOND, 30 * SECOND,
  MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE,
  HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, WEEK
] as const

/** The smallest step of STEPS giving at most `points` points over `window` ms. */
export const queryStep = (window: number, points: number): number => {
  for (const step of STEPS) if (window / step <= points) return step
  return Math.ceil(window / points / DAY) * DAY
}

/** Tick spacings, each with the labels it needs. */
const TICKS = [
  MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE,
  HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, WEEK, 2 * WEEK, 4 * WEEK, 8 * WEEK, 13 * WEEK, 26 * WEEK
] as const

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const
const pad2 = (n: number) => String(n).padStart(2, "0")

export interface TimeTick {
  readonly at: number
  readonly label: string
}

/** "UTC", "UTC+01:00", "UTC-05:30" */
export const offsetName = (offsetMinutes: number): string => {
  if (offsetMinutes === 0) return "UTC"
  const a = Math.abs(offsetMinutes)
  return `UTC${offsetMinutes < 0 ? "-" : "+"}${pad2(Math.floor(a / 60))}:${pad2(a % 60)}`
}

/** A time as the clock on the wall shows it at `offsetMinutes` east of UTC. */
const wall = (at: number, offsetMinutes: number) => new Date(at + offsetMinutes * MINUTE)

const dateLabel = (d: Date) => `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`
const clockLabel = (d: Date) => `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`

/** A full time, for titles: "2026-12-07 17:05 UTC". */
export const formatTime = (at: number, offsetMinutes: number): string => {
  const d = wall(at, offsetMinutes)
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${clockLabel(d)} ${offsetName(offsetMinutes)}`
}

/**
 * Ticks inside [from, to], at most `maxTicks`, on round wall-clock times:
 * every N minutes or hours (labelled HH:MM, a midnight by its date), every N
 * days (labelled by date), or every N weeks from a Monday. In time order.
 */
export const timeTicks = (from: number, to: number, maxTicks: number, offsetMinutes: number): ReadonlyArray<TimeTick> => {
  const span = Math.max(1, to - from)
  const spacing = TICKS.find((t) => span / t <= Math.max(1, maxTicks)) ?? Math.ceil(span / Math.max(1, maxTicks) / WEEK) * WEEK
  const offset = offsetMinutes * MINUTE
  // Weeks start on Monday (the epoch was a Thursday); shorter spacings on round wall-clock times.
  const origin = spacing >= WEEK ? 4 * DAY : 0
  const firstWall = Math.ceil((from + offset - origin) / spacing) * spacing + origin
  const ticks: Array<TimeTick> = []
  for (let at = firstWall - offset; at <= to && ticks.length < 1000; at += spacing) {
    const d = wall(at, offsetMinutes)
    const midnight = d.getUTCHours() === 0 && d.getUTCMinutes() === 0
    ticks.push({ at, label: spacing >= DAY || midnight ? dateLabel(d) : clockLabel(d) })
  }
  return ticks
}

/** How a window reads in a sentence: "last 7d", or "from … to …". */
export const windowText = (window: { readonly since?: string | undefined; readonly from: number; readonly to: number }, offsetMinutes: number): string =>
  window.since !== undefined ? `last ${window.since}` : `from ${formatTime(window.from, offsetMinutes)} to ${formatTime(window.to, offsetMinutes)}`
