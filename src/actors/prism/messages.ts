/** PRISM's protocol: the single source of its message schemas, replies, rejections and access classes. */
import { Schema } from "effect"
import { HISTORY_ERRORS } from "../../history/History.ts"
import * as Protocol from "../../runtime/Protocol.ts"
import { LabelMatcher, MetricName } from "../shared/fields.ts"

const Labels = Schema.Record(Schema.String, Schema.String)

export const ExpoSampleView = Schema.Struct({
  labels: Labels,
  value: Schema.Finite,
  /** ms since the epoch of the newest sample (history series); absent for live runtime figures */
  at: Schema.optionalKey(Schema.Finite)
})

export const FamilyView = Schema.Struct({
  name: Schema.String,
  type: Schema.Literals(["counter", "gauge", "untyped"]),
  help: Schema.String,
  unit: Schema.optionalKey(Schema.String),
  samples: Schema.Array(ExpoSampleView)
})
export type FamilyView = typeof FamilyView.Type

const Counts = {
  /** series rendered */
  series: Schema.Int,
  /** series of metrics the catalogue does not know, rendered as untyped */
  uncatalogued: Schema.Int,
  /** samples the format cannot carry (a bad name) or a series given twice: left out, counted */
  dropped: Schema.Int
}

export const MetricsReply = Schema.Struct({
  format: Schema.Literals(["prometheus", "json"]),
  contentType: Schema.String,
  /** the exposition (format prometheus) */
  text: Schema.optionalKey(Schema.String),
  /** every family with its samples (format json) */
  families: Schema.optionalKey(Schema.Array(FamilyView)),
  ...Counts
})
export type MetricsReply = typeof MetricsReply.Type

export const Matcher = LabelMatcher

export const SeriesPointsView = Schema.Struct({
  name: Schema.String,
  labels: Labels,
  resolution: Schema.Finite,
  points: Schema.Array(Schema.Tuple([Schema.Finite, Schema.Finite]))
})

/** A moment: ms since the epoch, or an RFC 3339 date ("2026-12-07T17:00:00Z"). */
const Moment = Schema.Union([Schema.Finite, Schema.String])

export class NoSuchMetric extends Schema.TaggedError<NoSuchMetric>()("NoSuchMetric", { name: Schema.String }) {
  override get message() {
    return `no metric named '${this.name}': it is not in the catalogue (docs/metrics.md) and nothing recorded it`
  }
}

export const Prism = Protocol.make("PRISM", [
  Protocol.message("metrics", {
    doc: "every metric, in the Prometheus text exposition format 0.0.4 or as JSON: the runtime's live, the newest sample of every history series, the history's own",
    access: "read",
    fields: {
      format: Schema.optionalKey(Schema.Literals(["prometheus", "json"])),
      /** each history sample's time after its value (default: none; Prometheus then uses the scrape's time) */
      timestamps: Schema.optionalKey(Schema.Boolean)
    },
    reply: MetricsReply
  }),
  Protocol.message("metric", {
    doc: "one metric's samples with their labels, and what the catalogue says about it",
    access: "read",
    fields: { name: MetricName },
    reply: Schema.Struct({
      name: Schema.String,
      type: Schema.Literals(["counter", "gauge", "untyped"]),
      help: Schema.String,
      unit: Schema.optionalKey(Schema.String),
      labels: Schema.Array(Schema.String),
      catalogued: Schema.Boolean,
      samples: Schema.Array(ExpoSampleView)
    }),
    rejections: [NoSuchMetric]
  }),
  Protocol.message("query", {
    doc: "a metric's history: its series (label matchers as in PromQL) between from and to (or over the last `since`: 90s, 15m, 6h, 7d), one point per step, consolidated by avg/min/max/last",
    access: "read",
    fields: {
      name: MetricName,
      matchers: Schema.optionalKey(Schema.Array(Matcher)),
      from: Schema.optionalKey(Moment),
      to: Schema.optionalKey(Moment),
      since: Schema.optionalKey(Schema.String),
      /** a duration (30s, 5m, 1h) or ms */
      step: Schema.optionalKey(Schema.Union([Schema.Finite, Schema.String])),
      consolidate: Schema.optionalKey(Schema.Literals(["avg", "min", "max", "last"]))
    },
    reply: Schema.Struct({ from: Schema.Finite, to: Schema.Finite, series: Schema.Array(SeriesPointsView) }),
    rejections: HISTORY_ERRORS
  }),
  Protocol.message("series", {
    doc: "the series the history holds: every one, or those of one metric",
    access: "read",
    fields: { name: Schema.optionalKey(MetricName) },
    reply: Schema.Struct({ series: Schema.Array(Schema.Struct({ name: Schema.String, labels: Labels })) })
  })
])
