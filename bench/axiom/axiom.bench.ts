/**
 * AXIOM's accuracy and cost, each against an anchor in the same run:
 * - capacity forecasts: the mean absolute percentage error (MAPE) of the days
 *   until full on synthetic pool usage with known answers (linear, noisy, a
 *   deletion, a bulk copy, a daily cycle; 30 days of hourly samples), ours vs
 *   Prometheus' `predict_linear` (ordinary least squares over the same
 *   window, solved for the day it reaches the capacity); on flat and
 *   shrinking usage, how often each makes up a date; and the time per
 *   forecast;
 * - anomaly scoring: the recall of injected spikes (6 to 12 sd) and the
 *   false-positive rate, ours (EWMA/Holt baseline, Huber-clipped) vs a static
 *   z-score against the window's mean and sd at the same threshold.
 * Goals: MAPE ≤ 10 %, every spike found, false positives ≤ 1 %.
 */
import { scan } from "../../src/actors/axiom/anomaly.ts"
import { DAY_MS, forecast, leastSquares } from "../../src/actors/axiom/forecast.ts"
import { type Kind, spiky, synthetic } from "../../test/support/series.ts"
import { now, round } from "../support.ts"

const SEEDS = 40
const GROWING: ReadonlyArray<Kind> = ["linear", "noisy", "deletion", "bulk-copy", "seasonal"]

/** predict_linear(v[window], t) = 0 solved for t: the OLS line's crossing of the capacity, in days after the newest sample. */
const predictLinearDays = (points: ReadonlyArray<readonly [number, number]>, capacity: number): number | null => {
  const { slope, intercept } = leastSquares(points)
  if (!(slope > 0)) return null
  const end = points[points.length - 1]![0]
  return (capacity - (intercept + slope * end)) / slope / DAY_MS
}

const mean = (xs: ReadonlyArray<number>) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length)

export const axiomForecast = async () => {
  const byKind: Record<string, { oursMape: number; predictLinearMape: number; intervalCoversTruth: number }> = {}
  let covered = 0
  const ours: Array<number> = []
  const anchor: Array<number> = []
  let oursNoDate = 0
  let anchorNoDate = 0
  let oursMs = 0
  let anchorMs = 0
  for (const kind of GROWING) {
    const o: Array<number> = []
    const a: Array<number> = []
    let coveredHere = 0
    for (let seed = 1; seed <= SEEDS; seed++) {
      const s = synthetic(kind, { seed })
      let t0 = now()
      const f = forecast(s.points, { capacity: s.capacity })
      oursMs += now() - t0
      t0 = now()
      const p = predictLinearDays(s.points, s.capacity)
      anchorMs += now() - t0
      const crossing = f.ok ? f.crossings.find((c) => c.percent === 100)! : undefined
      const full = crossing?.days ?? null
      if (crossing !== undefined && crossing.low !== null && crossing.low <= s.daysToFull! * (1 + 1e-9) && (crossing.high === null || s.daysToFull! <= crossing.high * (1 + 1e-9))) coveredHere++
      // A growing series given no date counts as 100 % wrong.
      o.push(full === null ? 1 : Math.abs(full - s.daysToFull!) / s.daysToFull!)
      a.push(p === null ? 1 : Math.abs(p - s.daysToFull!) / s.daysToFull!)
      if (full === null) oursNoDate++
      if (p === null) anchorNoDate++
    }
    byKind[kind] = { oursMape: round(mean(o) * 100), predictLinearMape: round(mean(a) * 100), intervalCoversTruth: round(coveredHere / SEEDS, 3) }
    covered += coveredHere
    ours.push(...o)
    anchor.push(...a)
  }
  let oursInvented = 0
  let anchorInvented = 0
  for (const kind of ["flat", "shrinking"] as const) {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const s = synthetic(kind, { seed })
      const f = forecast(s.points, { capacity: s.capacity })
      if (f.ok && f.crossings.some((c) => c.status === "expected")) oursInvented++
      if (predictLinearDays(s.points, s.capacity) !== null) anchorInvented++
    }
  }
  const n = GROWING.length * SEEDS
  const oursMape = mean(ours) * 100
  const anchorMape = mean(anchor) * 100
  return {
    what: `days until full on ${n} growing synthetic pools (${GROWING.join(", ")}; 30 days hourly) and ${2 * SEEDS} flat or shrinking ones: ours vs predict_linear (OLS, same window)`,
    oursMapePercent: round(oursMape),
    predictLinearMapePercent: round(anchorMape),
    mapeRatioVsPredictLinear: round(anchorMape / oursMape),
    goalMapePercent: 10,
    byKind,
    /** how often the true day lies inside the 95 % interval (linear is exact: its interval is a point) */
    intervalCoversTruth: round(covered / n, 3),
    growingGivenNoDate: { ours: oursNoDate, predictLinear: anchorNoDate },
    flatOrShrinkingGivenADate: { ours: oursInvented, predictLinear: anchorInvented, of: 2 * SEEDS },
    perForecastUs: { ours: round((oursMs * 1000) / n), predictLinear: round((anchorMs * 1000) / n) },
    timeRatioVsPredictLinear: round(oursMs / anchorMs)
  }
}

/** A static z-score: every sample against the window's mean and sd (no memory, no robustness). */
const staticZ = (points: ReadonlyArray<readonly [number, number]>, threshold: number) => {
  const values = points.map(([, v]) => v)
  const m = mean(values)
  const sd = Math.sqrt(mean(values.map((v) => (v - m) ** 2)))
  return new Set(points.flatMap(([, v], i) => (Math.abs(v - m) / sd > threshold ? [i] : [])))
}

export const axiomAnomaly = async () => {
  const THRESHOLD = 4
  const results: Record<string, unknown> = {}
  let totalOurs = { found: 0, spikes: 0, falsePositives: 0, normal: 0 }
  let totalAnchor = { found: 0, spikes: 0, falsePositives: 0, normal: 0 }
  let oursMs = 0
  let anchorMs = 0
  for (const cycle of [false, true]) {
    const o = { found: 0, spikes: 0, falsePositives: 0, normal: 0 }
    const a = { found: 0, spikes: 0, falsePositives: 0, normal: 0 }
    for (let seed = 1; seed <= SEEDS; seed++) {
      const s = spiky({ seed, cycle, spikes: 15, n: 3_000 })
      let t0 = now()
      const result = scan(s.points, { threshold: THRESHOLD })!
      oursMs += now() - t0
      const index = new Map(s.points.map(([t], i) => [t, i]))
      const flagged = new Set(result.anomalies.map((x) => index.get(x.at)!))
      t0 = now()
      const anchorFlagged = staticZ(s.points, THRESHOLD)
      anchorMs += now() - t0
      // The first `warmup` samples are not scored by ours: both are judged on the same samples.
      const scoredFrom = s.points.length - result.scored
      for (const [set, tally] of [[flagged, o], [anchorFlagged, a]] as const) {
        for (let i = scoredFrom; i < s.points.length; i++) {
          if (s.spikes.has(i)) {
            tally.spikes++
            if (set.has(i)) tally.found++
          } else {
            tally.normal++
            if (set.has(i)) tally.falsePositives++
          }
        }
      }
    }
    const rates = (t: typeof o) => ({ recallPercent: round((t.found / t.spikes) * 100), falsePositivePercent: round((t.falsePositives / t.normal) * 100, 3) })
    results[cycle ? "dailyCycle" : "noiseOnly"] = { ours: rates(o), staticZ: rates(a) }
    totalOurs = { found: totalOurs.found + o.found, spikes: totalOurs.spikes + o.spikes, falsePositives: totalOurs.falsePositives + o.falsePositives, normal: totalOurs.normal + o.normal }
    totalAnchor = { found: totalAnchor.found + a.found, spikes: totalAnchor.spikes + a.spikes, falsePositives: totalAnchor.falsePositives + a.falsePositives, normal: totalAnchor.normal + a.normal }
  }
  const oursRecall = totalOurs.found / totalOurs.spikes
  const anchorRecall = totalAnchor.found / totalAnchor.spikes
  return {
    what: `spikes of 6 to 12 sd injected into ${2 * SEEDS} noisy series of 3000 samples (half with a daily cycle), threshold |z| > ${THRESHOLD}: ours vs a static z-score over the window`,
    ...results,
    oursRecallPercent: round(oursRecall * 100),
    oursFalsePositivePercent: round((totalOurs.falsePositives / totalOurs.normal) * 100, 3),
    staticZRecallPercent: round(anchorRecall * 100),
    staticZFalsePositivePercent: round((totalAnchor.falsePositives / totalAnchor.normal) * 100, 3),
    recallRatioVsStaticZ: round(oursRecall / anchorRecall),
    goals: { recallPercent: 100, falsePositivePercent: 1 },
    perSampleUs: { ours: round((oursMs * 1000) / (2 * SEEDS * 3_000), 3), staticZ: round((anchorMs * 1000) / (2 * SEEDS * 3_000), 3) }
  }
}

export const axiom = async () => ({ forecast: await axiomForecast(), anomaly: await axiomAnomaly() })
