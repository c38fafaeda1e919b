/**
 * AXIOM's capacity forecast, pure maths (no Effect): from a series of
 * [ms, bytes used] and the capacity, the days until 80 / 90 / 100 % full,
 * each with an interval, and how the trend was fitted.
 *
 * 1. Level shifts. A deleted snapshot frees space at once; a bulk copy jumps.
 *    The first differences, less the median rate times each gap, are scaled by
 *    their MAD; a run of consecutive differences beyond `SHIFT_K` robust
 *    standard deviations (and beyond 0.1 % of the capacity) is one shift —
 *    unless the run sums to nothing, which is a spike, not a shift.
 * 2. The segment. The trend is fitted on the samples since the last shift
 *    when that segment is long enough (`minPoints`, `minSpanMs` and a quarter
 *    of the window); otherwise on the whole window with every shift taken out
 *    (later samples moved by the shift's size), so the series ends at the
 *    level it really has.
 * 3. The fit. Theil–Sen: the median of the pairwise slopes (robust to a
 *    third of the points being outliers), the level at `now` from the median
 *    intercept, and Sen's distribution-free interval for the slope from the
 *    ranks of the pairwise slopes, widened for autocorrelated residuals
 *    (effective sample size from the lag-1 autocorrelation).
 * 4. The crossings. The days until the fitted level reaches each threshold
 *    at the slope, with the interval from the slope's bounds. A slope whose
 *    interval holds zero (or lies below it) is "not growing": no date is
 *    made up, only the earliest date the upper slope bound would allow.
 *
 * docs/forecasts.md describes the methods, their limits and the figures.
 */

export type Point = readonly [at: number, value: number]

export const DAY_MS = 86_400_000

/** A shift's size is beyond this many robust standard deviations of the differences. */
export const SHIFT_K = 6
/** ...and beyond this fraction of the capacity. */
export const SHIFT_MIN_FRACTION = 0.001
/** Theil–Sen on more points than this is run on this many time-ordered means. */
export const MAX_FIT_POINTS = 300
/** The interval's two-sided confidence. */
export const CONFIDENCE = 0.95
const Z = 1.959963984540054

export const DEFAULT_LEVELS: ReadonlyArray<number> = [80, 90, 100]
export const DEFAULT_MIN_POINTS = 10
export const DEFAULT_MIN_SPAN_MS = 6 * 3_600_000

export interface ForecastOptions {
  /** The size that is "100 %", in the series' unit. */
  readonly capacity: number
  /** Percent levels to forecast; default 80, 90, 100. */
  readonly levels?: ReadonlyArray<number> | undefined
  /** When "now" is (ms); default: the newest sample's time. */
  readonly now?: number | undefined
  readonly minPoints?: number | undefined
  readonly minSpanMs?: number | undefined
}

export interface LevelShift {
  /** the time of the first sample after the shift */
  readonly at: number
  /** its size (negative: space freed) */
  readonly bytes: number
}

export type FitMethod = "theil-sen" | "theil-sen since the last shift" | "theil-sen with shifts removed"

export interface Fit {
  readonly method: FitMethod
  /** the samples the slope was fitted on */
  readonly from: number
  readonly to: number
  readonly points: number
  readonly shifts: ReadonlyArray<LevelShift>
  /** units per day, and the slope's interval */
  readonly slopePerDay: number
  readonly slopeLowPerDay: number
  readonly slopeHighPerDay: number
  /** the fitted level at `now` */
  readonly level: number
  /** robust standard deviation of the residuals */
  readonly residualSd: number
  readonly confidence: number
}

export type Trend = "growing" | "flat" | "shrinking"

export interface Crossing {
  readonly percent: number
  /** the threshold, in the series' unit */
  readonly bytes: number
  /** reached: at or above it now; expected: the trend reaches it; not-growing: the trend does not (flat or shrinking) */
  readonly status: "reached" | "expected" | "not-growing"
  /** days from now; null when not growing */
  readonly days: number | null
  /** the interval's bounds in days: the earliest plausible (upper slope bound) and the latest (lower slope bound; null: unbounded, the slope could be zero) */
  readonly low: number | null
  readonly high: number | null
}

export interface Forecast {
  readonly ok: true
  readonly capacity: number
  readonly now: number
  readonly current: number
  readonly trend: Trend
  readonly fit: Fit
  readonly crossings: ReadonlyArray<Crossing>
}

export interface TooLittle {
  readonly ok: false
  readonly points: number
  readonly spanMs: number
  readonly needPoints: number
  readonly needSpanMs: number
}

/**
 * The history's points sit at the start of their step: a step that divides
 * the hour or the day keeps regularly recorded samples at their own times.
 * The smallest of these at least `ms`.
 */
const NICE_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200, 86_400].map((s) => s * 1_000)
export const niceStep = (ms: number): number => NICE_STEPS.find((s) => s >= ms) ?? Math.ceil(ms / DAY_MS) * DAY_MS

// ---- small statistics ------------------------------------------------------

export const median = (xs: ReadonlyArray<number>): number => {
  if (xs.length === 0) return NaN
  const s = Float64Array.from(xs).sort()
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** 1.4826 × the median absolute deviation: the standard deviation for normal data. */
export const robustSd = (xs: ReadonlyArray<number>): number => {
  if (xs.length === 0) return 0
  const m = median(xs)
  return 1.4826 * median(xs.map((x) => Math.abs(x - m)))
}

/** Finite samples in time order, one per instant (the last one recorded wins). */
export const clean = (points: ReadonlyArray<Point>): Array<Point> => {
  const sorted = points.filter(([t, v]) => Number.isFinite(t) && Number.isFinite(v)).sort((a, b) => a[0] - b[0])
  const out: Array<Point> = []
  for (const p of sorted) {
    if (out.length > 0 && out[out.length - 1]![0] === p[0]) out[out.length - 1] = p
    else out.push(p)
  }
  return out
}

// ---- level shifts ----------------------------------------------------------

/** Shifts in a clean series: runs of outlying differences whose sum is itself outlying. `index` is the first sample after the shift. */
export const levelShifts = (points: ReadonlyArray<Point>, minJump: number): Array<LevelShift & { readonly index: number }> => {
  const n = points.length
  if (n < 3) return []
  const d: Array<number> = []
  const rates: Array<number> = []
  for (let i = 1; i < n; i++) {
    const dt = points[i]![0] - points[i - 1]![0]
    const dv = points[i]![1] - points[i - 1]![1]
    d.push(dv)
    rates.push(dv / dt)
  }
  const rate = median(rates)
  const e = d.map((dv, k) => dv - rate * (points[k + 1]![0] - points[k]![0]))
  const threshold = Math.max(SHIFT_K * robustSd(e), minJump)
  const shifts: Array<LevelShift & { readonly index: number }> = []
  let k = 0
  while (k < e.length) {
    if (Math.abs(e[k]!) <= threshold) {
      k++
      continue
    }
    // A run of outlying differences (a ramp, or a shift split over two samples); a spike's up and down cancel.
    let sum = 0
    while (k < e.length && Math.abs(e[k]!) > threshold) sum += e[k++]!
    if (Math.abs(sum) > threshold) shifts.push({ index: k, at: points[k]![0], bytes: sum })
  }
  return shifts
}

// ---- Theil–Sen -------------------------------------------------------------

export interface SenFit {
  readonly slope: number
  readonly low: number
  readonly high: number
  readonly intercept: number
  readonly residualSd: number
}

/** Means of consecutive groups, so that at most `max` points remain (time and value averaged). */
export const thin = (points: ReadonlyArray<Point>, max: number): Array<Point> => {
  if (points.length <= max) return [...points]
  const group = Math.ceil(points.length / max)
  const out: Array<Point> = []
  for (let i = 0; i < points.length; i += group) {
    let t = 0
    let v = 0
    const end = Math.min(points.length, i + group)
    for (let j = i; j < end; j++) {
      t += points[j]![0]
      v += points[j]![1]
    }
    out.push([t / (end - i), v / (end - i)])
  }
  return out
}

/** The k-th smallest of `a` (0-based), moving elements of `a` (Hoare's selection; linear on average). */
export const select = (a: Float64Array, k: number): number => {
  let lo = 0
  let hi = a.length - 1
  while (hi > lo) {
    // Median of three as the pivot: sorted or constant input stays linear.
    const mid = (lo + hi) >> 1
    const x = a[lo]!, y = a[mid]!, z = a[hi]!
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y
    let i = lo
    let j = hi
    while (i <= j) {
      while (a[i]! < pivot) i++
      while (a[j]! > pivot) j--
      if (i <= j) {
        const t = a[i]!
        a[i] = a[j]!
        a[j] = t
        i++
        j--
      }
    }
    if (k <= j) hi = j
    else if (k >= i) lo = i
    else return a[k]!
  }
  return a[k]!
}

/** Theil–Sen with Sen's interval for the slope; x and y in any units (x distinct and sorted). */
export const theilSen = (xs: ReadonlyArray<number>, ys: ReadonlyArray<number>): SenFit => {
  const n = xs.length
  const all = new Float64Array((n * (n - 1)) / 2)
  let N = 0
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = xs[j]! - xs[i]!
      if (dx > 0) all[N++] = (ys[j]! - ys[i]!) / dx
    }
  }
  // Order statistics by selection rather than a full sort: the pairwise slopes are n²/2.
  const slopes = all.subarray(0, N)
  const rank = (k: number) => select(slopes, k)
  const slope = N === 0 ? 0 : N % 2 === 1 ? rank(N >> 1) : (rank((N >> 1) - 1) + rank(N >> 1)) / 2
  const intercept = median(xs.map((x, i) => ys[i]! - slope * x))
  const residuals = xs.map((x, i) => ys[i]! - (intercept + slope * x))
  // Serially correlated residuals (a daily cycle, slow wander) carry less information than n independent ones.
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    den += residuals[i]! ** 2
    if (i > 0) num += residuals[i]! * residuals[i - 1]!
  }
  const rho = den > 0 ? Math.min(0.9, Math.max(0, num / den)) : 0
  const inflate = Math.sqrt((1 + rho) / (1 - rho))
  const C = Z * Math.sqrt((n * (n - 1) * (2 * n + 5)) / 18) * inflate
  const lo = Math.max(0, Math.floor((N - C) / 2))
  const hi = Math.min(N - 1, Math.ceil((N + C) / 2))
  return {
    slope,
    low: N === 0 ? 0 : Math.min(slope, rank(lo)),
    high: N === 0 ? 0 : Math.max(slope, rank(hi)),
    intercept,
    residualSd: robustSd(residuals)
  }
}

// ---- the forecast ------------------------------------------------------------

export const forecast = (input: ReadonlyArray<Point>, options: ForecastOptions): Forecast | TooLittle => {
  const points = clean(input)
  const needPoints = Math.max(3, options.minPoints ?? DEFAULT_MIN_POINTS)
  const needSpanMs = Math.max(1, options.minSpanMs ?? DEFAULT_MIN_SPAN_MS)
  const spanMs = points.length === 0 ? 0 : points[points.length - 1]![0] - points[0]![0]
  if (points.length < needPoints || spanMs < needSpanMs) return { ok: false, points: points.length, spanMs, needPoints, needSpanMs }
  const capacity = options.capacity
  const last = points[points.length - 1]!
  const now = options.now ?? last[0]

  const shifts = levelShifts(points, SHIFT_MIN_FRACTION * Math.abs(capacity))
  let method: FitMethod = "theil-sen"
  let segment: Array<Point> = points
  if (shifts.length > 0) {
    const since = points.slice(shifts[shifts.length - 1]!.index)
    const sinceSpan = since.length === 0 ? 0 : since[since.length - 1]![0] - since[0]![0]
    if (since.length >= needPoints && sinceSpan >= needSpanMs && sinceSpan >= spanMs / 4) {
      method = "theil-sen since the last shift"
      segment = since
    } else {
      // Every shift taken out: the samples before a shift move by its size, so the series ends where it really is.
      method = "theil-sen with shifts removed"
      let s = shifts.length - 1
      let offset = 0
      segment = []
      for (let i = points.length - 1; i >= 0; i--) {
        while (s >= 0 && shifts[s]!.index > i) offset += shifts[s--]!.bytes
        segment.push([points[i]![0], points[i]![1] + offset])
      }
      segment.reverse()
    }
  }
  const fitted = thin(segment, MAX_FIT_POINTS)
  // Days relative to the newest sample: well-conditioned, and the intercept is the level then.
  const xs = fitted.map(([t]) => (t - last[0]) / DAY_MS)
  const ys = fitted.map(([, v]) => v)
  const sen = theilSen(xs, ys)
  const level = sen.intercept + sen.slope * ((now - last[0]) / DAY_MS)
  const trend: Trend = sen.low > 0 ? "growing" : sen.high < 0 ? "shrinking" : "flat"
  const current = last[1]

  const crossings = (options.levels ?? DEFAULT_LEVELS).map((percent): Crossing => {
    const bytes = (percent / 100) * capacity
    if (level >= bytes || current >= bytes) return { percent, bytes, status: "reached", days: 0, low: 0, high: 0 }
    const gap = bytes - level
    if (trend !== "growing") {
      return { percent, bytes, status: "not-growing", days: null, low: sen.high > 0 ? gap / sen.high : null, high: null }
    }
    return { percent, bytes, status: "expected", days: gap / sen.slope, low: gap / sen.high, high: gap / sen.low }
  })

  return {
    ok: true,
    capacity,
    now,
    current,
    trend,
    fit: {
      method,
      from: segment[0]![0],
      to: segment[segment.length - 1]![0],
      points: segment.length,
      shifts: shifts.map(({ at, bytes }) => ({ at, bytes })),
      slopePerDay: sen.slope,
      slopeLowPerDay: sen.low,
      slopeHighPerDay: sen.high,
      level,
      residualSd: sen.residualSd,
      confidence: CONFIDENCE
    },
    crossings
  }
}

/** Ordinary least squares over the same points: Prometheus' `predict_linear`, the bench's anchor. */
export const leastSquares = (points: ReadonlyArray<Point>): { readonly slope: number; readonly intercept: number } => {
  const n = points.length
  let mx = 0
  let my = 0
  for (const [t, v] of points) {
    mx += t
    my += v
  }
  mx /= n
  my /= n
  let sxy = 0
  let sxx = 0
  for (const [t, v] of points) {
    sxy += (t - mx) * (v - my)
    sxx += (t - mx) ** 2
  }
  const slope = sxx === 0 ? 0 : sxy / sxx
  return { slope, intercept: my - slope * mx }
}

/** The order of urgency: the soonest expected 100 % crossing first, then the highest current fill. */
export const urgency = (f: Forecast): number => {
  const full = f.crossings.find((c) => c.percent === 100) ?? f.crossings[f.crossings.length - 1]
  if (full === undefined) return Number.POSITIVE_INFINITY
  if (full.status === "reached") return -1
  return full.days ?? Number.POSITIVE_INFINITY
}
