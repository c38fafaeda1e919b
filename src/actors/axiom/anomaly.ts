/**
 * AXIOM's anomaly scoring, pure maths (no Effect): an exponentially weighted
 * mean and variance (EWMA/EWMV) learned from a series, and the z-score of a
 * value against it.
 *
 * - Warm-up: the first `warmup` samples seed the baseline with their median
 *   and robust spread (a spike among them does not poison it).
 * - Update: δ = x - expected; level = expected + α·δ; trend += α·β·δ;
 *   var = (1-α)(var + α·δ²); expected = level + trend (Holt's double
 *   exponential smoothing: the baseline follows a slope or a slow cycle
 *   without lagging behind it), α = 1 - 2^(-1/halfLife): a sample `halfLife`
 *   samples old weighs half as much as the newest; β = 0.1. The baseline's
 *   "mean" is the value expected at the next sample.
 * - Robustness: a sample beyond the threshold updates the baseline only as
 *   far as the threshold (Huber clipping), so one spike does not inflate the
 *   variance and hide the next one; `shiftAfter` outlying samples in a row on
 *   the same side are a level shift, not spikes: the mean restarts at the
 *   new level and those samples are reported as the shift.
 * - The standard deviation has a floor (1e-9 of the mean's size) so that a
 *   constant series still gives a finite score: any change of a constant is
 *   reported as a very large one, which it is.
 */

export type Point = readonly [at: number, value: number]

export const DEFAULT_HALF_LIFE = 30
export const DEFAULT_THRESHOLD = 4
export const DEFAULT_WARMUP = 10
export const DEFAULT_SHIFT_AFTER = 3
/** The trend's smoothing relative to the level's. */
export const BETA = 0.1

export interface EwmaOptions {
  /** in samples */
  readonly halfLife?: number | undefined
  /** |z| above it is anomalous */
  readonly threshold?: number | undefined
  readonly warmup?: number | undefined
  readonly shiftAfter?: number | undefined
}

export interface Baseline {
  readonly mean: number
  readonly sd: number
  /** the samples it was learned from */
  readonly samples: number
  readonly halfLife: number
}

export type Verdict = "normal" | "high" | "low"

export interface Scored {
  readonly at: number
  readonly value: number
  readonly score: number
  readonly mean: number
  readonly sd: number
  readonly verdict: Verdict
}

export interface Shift {
  readonly at: number
  readonly from: number
  readonly to: number
}

export interface Scan {
  readonly baseline: Baseline
  /** samples scored (after the warm-up) */
  readonly scored: number
  /** the samples beyond the threshold, in time order */
  readonly anomalies: ReadonlyArray<Scored>
  readonly shifts: ReadonlyArray<Shift>
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = Float64Array.from(xs).sort()
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const options = (o: EwmaOptions) => ({
  halfLife: Math.max(1, o.halfLife ?? DEFAULT_HALF_LIFE),
  threshold: Math.max(0.5, o.threshold ?? DEFAULT_THRESHOLD),
  warmup: Math.max(2, Math.floor(o.warmup ?? DEFAULT_WARMUP)),
  shiftAfter: Math.max(2, Math.floor(o.shiftAfter ?? DEFAULT_SHIFT_AFTER))
})

/** The floor of the standard deviation at a mean: a constant series still scores finitely. */
export const sdFloor = (mean: number) => 1e-9 * Math.max(Math.abs(mean), 1)

export const zScore = (value: number, mean: number, sd: number): number => (value - mean) / Math.max(sd, sdFloor(mean))

export const verdictOf = (score: number, threshold: number): Verdict => (score > threshold ? "high" : score < -threshold ? "low" : "normal")

/**
 * Learns the baseline from `points` (time order) and scores each sample after
 * the warm-up against the baseline before it. Undefined when there are fewer
 * samples than the warm-up.
 */
export const scan = (points: ReadonlyArray<Point>, opts: EwmaOptions = {}): Scan | undefined => {
  const { halfLife, threshold, warmup, shiftAfter } = options(opts)
  const finite = points.filter(([t, v]) => Number.isFinite(t) && Number.isFinite(v))
  if (finite.length < warmup) return undefined
  const alpha = 1 - Math.pow(2, -1 / halfLife)
  const seed = finite.slice(0, warmup).map(([, v]) => v)
  let mean = median(seed)
  let variance = (1.4826 * median(seed.map((v) => Math.abs(v - mean)))) ** 2
  if (variance === 0) {
    const m = seed.reduce((a, b) => a + b, 0) / seed.length
    variance = seed.reduce((a, v) => a + (v - m) ** 2, 0) / (seed.length - 1)
  }
  const anomalies: Array<Scored> = []
  const shifts: Array<Shift> = []
  let run: Array<Scored> = []
  let runSign = 0
  let level = mean
  let trend = 0
  for (let i = warmup; i < finite.length; i++) {
    const [at, value] = finite[i]!
    const sd = Math.max(Math.sqrt(variance), sdFloor(mean))
    const score = (value - mean) / sd
    const verdict = verdictOf(score, threshold)
    let x = value
    if (verdict !== "normal") {
      const sign = verdict === "high" ? 1 : -1
      const scored: Scored = { at, value, score, mean, sd, verdict }
      if (sign !== runSign) {
        run = []
        runSign = sign
      }
      run.push(scored)
      anomalies.push(scored)
      if (run.length >= shiftAfter) {
        // Not spikes: the level moved. Those samples are the shift; the mean restarts at the new level.
        anomalies.splice(anomalies.length - run.length, run.length)
        shifts.push({ at: run[0]!.at, from: mean, to: value })
        mean = value
        level = value
        trend = 0
        run = []
        runSign = 0
        continue
      }
      x = mean + sign * threshold * sd
    } else {
      run = []
      runSign = 0
    }
    // Holt's error-correction form: the level moves by α·δ, the trend by αβ·δ; the variance is the EW mean of δ².
    const delta = x - mean
    level = mean + alpha * delta
    trend += alpha * BETA * delta
    variance = (1 - alpha) * (variance + alpha * delta * delta)
    mean = level + trend
  }
  return {
    baseline: { mean, sd: Math.max(Math.sqrt(variance), sdFloor(mean)), samples: finite.length, halfLife },
    scored: finite.length - warmup,
    anomalies,
    shifts
  }
}

/** The baseline learned from `points` and the score of `value` against it. */
export const score = (
  points: ReadonlyArray<Point>,
  value: number,
  opts: EwmaOptions = {}
): { readonly baseline: Baseline; readonly score: number; readonly verdict: Verdict; readonly threshold: number } | undefined => {
  const learned = scan(points, opts)
  if (learned === undefined) return undefined
  const { threshold } = options(opts)
  const z = zScore(value, learned.baseline.mean, learned.baseline.sd)
  return { baseline: learned.baseline, score: z, verdict: verdictOf(z, threshold), threshold }
}
