/** CANVAS's protocol: the single source of its message schemas, replies, rejections and access classes. */
import { Schema } from "effect"
import { HISTORY_ERRORS } from "../../history/History.ts"
import * as Protocol from "../../runtime/Protocol.ts"
import { LabelMatcher, MetricName } from "../shared/fields.ts"

export const Matcher = LabelMatcher
export type Matcher = typeof Matcher.Type

/** A window back from now: a whole number of s, m, h, d or w, from a minute to two years (1h, 24h, 7d, 30d). */
export const Since = Schema.String.check(
  Schema.isPattern(/^[1-9][0-9]{0,5}[smhdw]$/, { expected: "a duration such as 1h, 24h, 7d or 30d" })
)

const Millis = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 8_640_000_000_000_000 }))

/** What is charted: a metric, label matchers, and a window (since, or from/to; default the last 24h). */
const selection = {
  metric: MetricName,
  matchers: Schema.optionalKey(Schema.Array(Matcher).check(Schema.isMaxLength(16))),
  since: Schema.optionalKey(Since),
  /** ms since the epoch; with `to` (default now) instead of `since` */
  from: Schema.optionalKey(Millis),
  to: Schema.optionalKey(Millis)
}

export class UnknownMetric extends Schema.TaggedError<UnknownMetric>()("UnknownMetric", {
  metric: Schema.String,
  known: Schema.Array(Schema.String)
}) {
  override get message() {
    return `'${this.metric}' is not in the metric catalogue (docs/metrics.md)` +
      (this.known.length === 0 ? "" : `; did you mean ${this.known.join(", ")}?`)
  }
}

export class InvalidWindow extends Schema.TaggedError<InvalidWindow>()("InvalidWindow", {
  field: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `window: ${this.field} ${this.reason}`
  }
}

const REJECTIONS = [UnknownMetric, InvalidWindow, ...HISTORY_ERRORS] as const

/** What was read: the window actually drawn (from aligned to the step), the step, and the unit drawn. */
const Read = {
  metric: Schema.String,
  /** the selection as text, e.g. sigmavault_pool_allocated_bytes{pool="tank"} */
  selector: Schema.String,
  type: Schema.Literals(["counter", "gauge"]),
  /** the catalogue's unit, "/s" added when a counter is drawn as a rate */
  unit: Schema.String,
  rate: Schema.Boolean,
  from: Schema.Number,
  to: Schema.Number,
  step: Schema.Number,
  /** series the selection matched */
  matched: Schema.Int,
  /** of those, how many are not drawn (over the cap) */
  omitted: Schema.Int
}

export const SparkSeries = Schema.Struct({
  labels: Schema.Record(Schema.String, Schema.String),
  /** exactly `width` characters: ▁▂▃▄▅▆▇█, a space where there is no data */
  line: Schema.String,
  /** smallest and largest cell (a cell is the mean of its points); absent without data */
  min: Schema.optionalKey(Schema.Number),
  max: Schema.optionalKey(Schema.Number),
  last: Schema.optionalKey(Schema.Number),
  lastAt: Schema.optionalKey(Schema.Number),
  /** min, max and last in the unit's human scale, e.g. "1.5 GiB" */
  text: Schema.String
})
export type SparkSeries = typeof SparkSeries.Type

export const Canvas = Protocol.make("CANVAS", [
  Protocol.message("chart", {
    doc: "a selection of a metric's series as an SVG document: axes, units, time labels, one line per series with a legend",
    access: "read",
    fields: {
      ...selection,
      /** pixels; default 960 × 420 (the legend adds its rows) */
      width: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 320, maximum: 4000 }))),
      height: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 200, maximum: 3000 }))),
      /** most series drawn (default 8, at most 12); the others are counted in `omitted` */
      limit: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 12 }))),
      /** time labels at this offset east of UTC, in minutes (default 0: UTC) */
      utcOffsetMinutes: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: -840, maximum: 840 })))
    },
    reply: Schema.Struct({ ...Read, svg: Schema.String }),
    rejections: REJECTIONS
  }),
  Protocol.message("sparkline", {
    doc: "a terminal sparkline (▁▂▃▄▅▆▇█) of each series of a selection, with its min, max and last value",
    access: "read",
    fields: {
      ...selection,
      /** characters; default 60 */
      width: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 8, maximum: 240 }))),
      /** most series (default 20, at most 100), those with the highest peaks */
      limit: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 100 })))
    },
    reply: Schema.Struct({ ...Read, width: Schema.Int, series: Schema.Array(SparkSeries) }),
    rejections: REJECTIONS
  })
])
