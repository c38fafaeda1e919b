/**
 * AXIOM's protocol: the single source of its message schemas, replies,
 * rejections and access classes. Capacity forecasts (days until 80/90/100 %
 * full, with intervals) and EWMA anomaly scores, read from the metric
 * history; FLUX and NEXUS call `anomaly`/`anomalies`, so their replies carry
 * everything needed to read them: score, baseline, threshold, verdict.
 */
import { Schema } from "effect"
import { HISTORY_ERRORS } from "../../history/History.ts"
import * as Protocol from "../../runtime/Protocol.ts"
import { DatasetName, LabelName, LabelValue, MetricName, PoolName, PositiveInt } from "../shared/fields.ts"

const Ms = Schema.Finite
const Bytes = Schema.Finite
const Days = Schema.Finite.check(
  Schema.isBetween({ minimum: 0.25, maximum: 366 }, { expected: "days from 0.25 to 366" })
)
const Hours = Schema.Finite.check(
  Schema.isBetween({ minimum: 0.25, maximum: 24 * 366 }, { expected: "hours from 0.25 to 8784" })
)
const Threshold = Schema.Finite.check(
  Schema.isBetween({ minimum: 0.5, maximum: 100 }, { expected: "a z-score from 0.5 to 100" })
)
const HalfLife = PositiveInt.check(Schema.isLessThanOrEqualTo(100_000))
/** Exact label values the series must have (`{pool: "tank"}`). */
export const Labels = Schema.Record(LabelName, LabelValue)

// ---- forecasts ---------------------------------------------------------------

export const Subject = Schema.Struct({
  kind: Schema.Literals(["pool", "dataset"]),
  pool: Schema.String,
  dataset: Schema.optionalKey(Schema.String)
})
export type Subject = typeof Subject.Type

export const Crossing = Schema.Struct({
  percent: Schema.Finite,
  bytes: Bytes,
  /** reached: already at or above it; expected: the trend reaches it; not-growing: the trend is flat or shrinking */
  status: Schema.Literals(["reached", "expected", "not-growing"]),
  /** days from now (null: not growing) */
  days: Schema.NullOr(Schema.Finite),
  /** the interval in days: earliest plausible, latest plausible (null: unbounded) */
  low: Schema.NullOr(Schema.Finite),
  high: Schema.NullOr(Schema.Finite),
  /** the expected date (ISO 8601), when there is one */
  date: Schema.NullOr(Schema.String)
})

export const ForecastReport = Schema.Struct({
  subject: Subject,
  /** the usage series fitted, e.g. sigmavault_pool_allocated_bytes{pool="tank"} */
  series: Schema.String,
  capacityBytes: Bytes,
  usedBytes: Bytes,
  usedPercent: Schema.Finite,
  trend: Schema.Literals(["growing", "flat", "shrinking"]),
  /** the fitted growth and its interval */
  growthBytesPerDay: Schema.Finite,
  growthLowBytesPerDay: Schema.Finite,
  growthHighBytesPerDay: Schema.Finite,
  crossings: Schema.Array(Crossing),
  fit: Schema.Struct({
    method: Schema.Literals(["theil-sen", "theil-sen since the last shift", "theil-sen with shifts removed"]),
    /** the window read from the history */
    window: Schema.Struct({ from: Ms, to: Ms, days: Schema.Finite, stepMs: Ms }),
    /** the samples the slope was fitted on */
    from: Ms,
    to: Ms,
    points: Schema.Int,
    shifts: Schema.Array(Schema.Struct({ at: Ms, bytes: Bytes })),
    levelBytes: Bytes,
    residualSdBytes: Schema.Finite,
    confidence: Schema.Finite
  }),
  /** one sentence a person can read */
  summary: Schema.String
})
export type ForecastReport = typeof ForecastReport.Type

// ---- anomalies ---------------------------------------------------------------

const BaselineSchema = Schema.Struct({
  mean: Schema.Finite,
  sd: Schema.Finite,
  /** the samples it was learned from */
  samples: Schema.Int,
  halfLifeSamples: Schema.Int,
  from: Ms,
  to: Ms,
  stepMs: Ms
})

const Verdict = Schema.Literals(["normal", "high", "low"])

export const AnomalyReport = Schema.Struct({
  series: Schema.String,
  labels: Labels,
  value: Schema.Finite,
  /** given: the request's value; newest: the series' newest sample (the baseline is learned from the samples before it) */
  source: Schema.Literals(["given", "newest"]),
  /** the newest sample's time; null for a given value */
  at: Schema.NullOr(Ms),
  /** z-score: (value - mean) / sd */
  score: Schema.Finite,
  threshold: Schema.Finite,
  verdict: Verdict,
  anomalous: Schema.Boolean,
  baseline: BaselineSchema,
  explanation: Schema.String
})

const Scored = Schema.Struct({ at: Ms, value: Schema.Finite, score: Schema.Finite, mean: Schema.Finite, sd: Schema.Finite, verdict: Verdict })

export const AnomaliesReport = Schema.Struct({
  window: Schema.Struct({ from: Ms, to: Ms, stepMs: Ms }),
  threshold: Schema.Finite,
  series: Schema.Array(Schema.Struct({
    series: Schema.String,
    labels: Labels,
    samples: Schema.Int,
    scored: Schema.Int,
    baseline: BaselineSchema,
    /** the samples beyond the threshold (the newest `limit`), time order */
    anomalies: Schema.Array(Scored),
    /** more anomalies than `limit` were found */
    truncated: Schema.Boolean,
    /** outlying samples in a row on one side: the level moved (not counted as anomalies) */
    shifts: Schema.Array(Schema.Struct({ at: Ms, from: Schema.Finite, to: Schema.Finite }))
  })),
  /** series that could not be scored, and why */
  skipped: Schema.Array(Schema.Struct({ series: Schema.String, reason: Schema.String }))
})

// ---- rejections ----------------------------------------------------------------

export class InsufficientHistory extends Schema.TaggedError<InsufficientHistory>()("InsufficientHistory", {
  series: Schema.String,
  points: Schema.Int,
  spanHours: Schema.Finite,
  needPoints: Schema.Int,
  needHours: Schema.Finite
}) {
  override get message() {
    return `too little history for ${this.series}: ${this.points} samples over ${this.spanHours.toFixed(1)} h; ` +
      `at least ${this.needPoints} samples${this.needHours > 0 ? ` over ${this.needHours} h` : ""} are needed`
  }
}

export class NoSuchSeries extends Schema.TaggedError<NoSuchSeries>()("NoSuchSeries", {
  series: Schema.String
}) {
  override get message() {
    return `the metric history holds no series ${this.series}`
  }
}

export class AmbiguousSeries extends Schema.TaggedError<AmbiguousSeries>()("AmbiguousSeries", {
  metric: Schema.String,
  matches: Schema.Array(Schema.String)
}) {
  override get message() {
    return `${this.matches.length} series of ${this.metric} match; name one with "labels", e.g. ${this.matches.slice(0, 3).join(", ")}`
  }
}

export class PoolOrDataset extends Schema.TaggedError<PoolOrDataset>()("PoolOrDataset", {}) {
  override get message() {
    return "give exactly one of \"pool\" or \"dataset\""
  }
}

export class NoCapacity extends Schema.TaggedError<NoCapacity>()("NoCapacity", { series: Schema.String }) {
  override get message() {
    return `no capacity is known (no sample of ${this.series}, or it is not positive), so "full" has no meaning yet`
  }
}

const Window = {
  /** How much history to read; default 30 days for forecasts. */
  days: Schema.optionalKey(Days)
}

const Scoring = {
  metric: MetricName,
  labels: Schema.optionalKey(Labels),
  /** How much history to learn the baseline from; default 24 hours. */
  hours: Schema.optionalKey(Hours),
  /** |z| above it is anomalous; default 4. */
  threshold: Schema.optionalKey(Threshold),
  /** The baseline's memory, in samples; default 30. */
  halfLife: Schema.optionalKey(HalfLife)
}

export const Axiom = Protocol.make("AXIOM", [
  Protocol.message("forecast", {
    doc: "the days until a pool or a dataset is 80/90/100 % full, each with an interval, from its usage history",
    access: "read",
    fields: {
      pool: Schema.optionalKey(PoolName),
      dataset: Schema.optionalKey(DatasetName),
      ...Window
    },
    reply: ForecastReport,
    rejections: [PoolOrDataset, NoSuchSeries, NoCapacity, InsufficientHistory, ...HISTORY_ERRORS]
  }),
  Protocol.message("forecasts", {
    doc: "every pool's (and dataset's) forecast, the most urgent first",
    access: "read",
    fields: {
      ...Window,
      /** Datasets too (default true). */
      datasets: Schema.optionalKey(Schema.Boolean)
    },
    reply: Schema.Struct({
      forecasts: Schema.Array(ForecastReport),
      skipped: Schema.Array(Schema.Struct({ subject: Subject, reason: Schema.String }))
    }),
    rejections: [...HISTORY_ERRORS]
  }),
  Protocol.message("anomaly", {
    doc: "how unusual a value (or a series' newest sample) is: its z-score against the series' EWMA baseline",
    access: "read",
    fields: {
      ...Scoring,
      /** The value to score; default: the series' newest sample. */
      value: Schema.optionalKey(Schema.Finite)
    },
    reply: AnomalyReport,
    rejections: [NoSuchSeries, AmbiguousSeries, InsufficientHistory, ...HISTORY_ERRORS]
  }),
  Protocol.message("anomalies", {
    doc: "the spikes in a metric's series over a window, each scored against the EWMA baseline before it",
    access: "read",
    fields: {
      ...Scoring,
      /** Most anomalies reported per series (the newest); default 50. */
      limit: Schema.optionalKey(PositiveInt.check(Schema.isLessThanOrEqualTo(1_000)))
    },
    reply: AnomaliesReport,
    rejections: [NoSuchSeries, ...HISTORY_ERRORS]
  })
])
