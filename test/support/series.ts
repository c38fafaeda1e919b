/**
 * Synthetic metric series with known answers, for AXIOM's tests and its
 * bench: pool usage that grows linearly (with noise, a daily cycle, a
 * deletion, a bulk copy), stays flat or shrinks, each with the true days
 * until full; and noisy series with injected spikes.
 */

export type Point = readonly [number, number]

export const DAY = 86_400_000
export const TiB = 1024 ** 4

/** mulberry32: a small, seeded, reproducible generator. */
export const rng = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A standard normal draw (Box–Muller). */
export const gaussian = (random: () => number) => {
  const u = Math.max(random(), 1e-12)
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random())
}

export type Kind = "linear" | "noisy" | "deletion" | "bulk-copy" | "seasonal" | "flat" | "shrinking"
export const KINDS: ReadonlyArray<Kind> = ["linear", "noisy", "deletion", "bulk-copy", "seasonal", "flat", "shrinking"]

export interface Synthetic {
  readonly kind: Kind
  readonly points: Array<Point>
  readonly capacity: number
  /** when "now" is: the last sample's time */
  readonly end: number
  /** the true days from `end` until 100 % (null: never, flat or shrinking) */
  readonly daysToFull: number | null
  /** the true days until `percent` */
  readonly daysTo: (percent: number) => number | null
}

export interface SyntheticOptions {
  readonly seed?: number
  readonly days?: number
  readonly perDay?: number
  readonly capacity?: number
  /** the end must be `daysLeft` days before 100 % (growing kinds) */
  readonly daysLeft?: number
  readonly end?: number
}

/** One pool-usage series of `kind` over `days` days, `perDay` samples a day, ending at `end`. */
export const synthetic = (kind: Kind, options: SyntheticOptions = {}): Synthetic => {
  const random = rng(options.seed ?? 1)
  const days = options.days ?? 30
  const perDay = options.perDay ?? 24
  const capacity = options.capacity ?? 10 * TiB
  const end = options.end ?? Date.UTC(2026, 11, 1)
  const n = Math.round(days * perDay) + 1
  const start = end - days * DAY
  // Usage ends between 40 and 70 % full.
  const endLevel = capacity * (0.4 + 0.3 * random())
  const daysLeft = options.daysLeft ?? 20 + 200 * random()
  const growing = kind !== "flat" && kind !== "shrinking"
  const slope = growing ? (capacity - endLevel) / daysLeft : kind === "shrinking" ? -capacity * 0.002 : 0
  const noise = kind === "linear" ? 0 : capacity * 0.002
  const amplitude = kind === "seasonal" ? capacity * 0.01 : 0
  // A deletion of 5 % of the capacity 60 % into the window; a bulk copy of 5 % at 75 % (the slope is unchanged).
  const stepAt = kind === "deletion" ? start + 0.6 * days * DAY : kind === "bulk-copy" ? start + 0.75 * days * DAY : Infinity
  const step = kind === "deletion" ? -0.05 * capacity : kind === "bulk-copy" ? 0.05 * capacity : 0
  const points: Array<Point> = []
  for (let i = 0; i < n; i++) {
    const t = start + (i * DAY) / perDay
    const trend = endLevel + (slope * (t - end)) / DAY - (t >= stepAt ? 0 : step)
    const cycle = amplitude * Math.sin((2 * Math.PI * (t % DAY)) / DAY)
    points.push([t, trend + cycle + noise * gaussian(random)])
  }
  const daysTo = (percent: number) => {
    const target = (percent / 100) * capacity
    if (endLevel >= target) return 0
    return slope > 0 ? (target - endLevel) / slope : null
  }
  return { kind, points, capacity, end, daysToFull: daysTo(100), daysTo }
}

export interface Spiky {
  readonly points: Array<Point>
  /** the indices of the injected spikes */
  readonly spikes: ReadonlySet<number>
  readonly sd: number
}

/** A noisy series (optionally with a daily cycle) with `spikes` spikes injected, each 6 to 12 standard deviations from the series' expected value. */
export const spiky = (options: { seed?: number; n?: number; spikes?: number; cycle?: boolean; stepMs?: number } = {}): Spiky => {
  const random = rng(options.seed ?? 7)
  const n = options.n ?? 2_000
  const sd = 2
  const stepMs = options.stepMs ?? 60_000
  const perDay = DAY / stepMs
  const points: Array<Point> = []
  const expected: Array<number> = []
  for (let i = 0; i < n; i++) {
    const cycle = options.cycle === true ? 10 * Math.sin((2 * Math.PI * i) / perDay) : 0
    expected.push(50 + cycle)
    points.push([Date.UTC(2026, 11, 1) + i * stepMs, 50 + cycle + sd * gaussian(random)])
  }
  const spikes = new Set<number>()
  while (spikes.size < (options.spikes ?? 10)) {
    const i = 50 + Math.floor(random() * (n - 60))
    if (spikes.has(i - 1) || spikes.has(i) || spikes.has(i + 1)) continue
    spikes.add(i)
  }
  for (const i of spikes) {
    const size = (6 + 6 * random()) * sd * (random() < 0.5 ? -1 : 1)
    // 6 to 12 sd from where the series would be (not from a noisy sample, which could pull it back under 4 sd).
    points[i] = [points[i]![0], expected[i]! + size]
  }
  return { points, spikes, sd }
}
