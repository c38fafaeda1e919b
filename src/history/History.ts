/**
 * The metric history: the NAS's memory of its own numbers. Time series keyed
 * by a Prometheus metric name and labels, bounded and downsampled like RRD,
 * kept under the state directory. Agents that measure something record it
 * (`yield* MetricHistory` then `record`); PRISM, AXIOM, CANVAS, ATLAS and
 * NEXUS read it back with `query`.
 *
 * HistoryLive persists it (docs/history.md); HistoryTest keeps every raw
 * sample in memory, for tests and as the brute-force reference.
 */
import { Context, type Effect, Schema } from "effect"

export type Labels = Readonly<Record<string, string>>

export interface Sample {
  /** A Prometheus metric name from the catalogue (`catalogue.ts`), e.g. `sigmavault_pool_allocated_bytes`. */
  readonly name: string
  readonly labels?: Labels | undefined
  readonly value: number
  /** Milliseconds since the epoch; default: now (Effect's Clock). */
  readonly at?: number | undefined
}

export interface Matcher {
  readonly label: string
  /** as in PromQL: equal, not equal, regex match (anchored), regex not match */
  readonly op: "=" | "!=" | "=~" | "!~"
  readonly value: string
}

/** How the samples inside one step are combined (RRD's consolidation functions). */
export type Consolidation = "avg" | "min" | "max" | "last"

export interface Query {
  readonly name: string
  readonly matchers?: ReadonlyArray<Matcher> | undefined
  /** ms since the epoch, inclusive */
  readonly from: number
  /** ms since the epoch, inclusive */
  readonly to: number
  /** ms between points; default: the finest resolution that still holds `from` */
  readonly step?: number | undefined
  /** default "avg" */
  readonly consolidate?: Consolidation | undefined
}

export interface SeriesKey {
  readonly name: string
  readonly labels: Labels
}

export interface SeriesPoints extends SeriesKey {
  /** the resolution (ms) the points were read from */
  readonly resolution: number
  /** [ms since the epoch (start of the step), value], in time order; steps without samples are absent */
  readonly points: ReadonlyArray<readonly [number, number]>
}

export interface LatestSample extends SeriesKey {
  readonly at: number
  readonly value: number
}

export interface RecordResult {
  readonly accepted: number
  /** refused: a new series over the series cap, the byte cap reached, an invalid name/label or a non-finite value (counted in stats) */
  readonly refused: number
}

export interface Tier {
  /** ms per bucket */
  readonly step: number
  /** ms of history this tier keeps */
  readonly retention: number
}

export interface HistoryStats {
  readonly series: number
  readonly maxSeries: number
  readonly bytes: number
  readonly maxBytes: number
  readonly samples: number
  readonly refused: {
    readonly seriesCap: number
    readonly byteCap: number
    readonly invalid: number
  }
  readonly tiers: ReadonlyArray<Tier>
}

export class HistoryQueryInvalid extends Schema.TaggedError<HistoryQueryInvalid>()("HistoryQueryInvalid", {
  field: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `history query: ${this.field} ${this.reason}`
  }
}

export class HistoryUnavailable extends Schema.TaggedError<HistoryUnavailable>()("HistoryUnavailable", {
  reason: Schema.String
}) {
  override get message() {
    return `the metric history is unavailable: ${this.reason}`
  }
}

export const HISTORY_ERRORS = [HistoryQueryInvalid, HistoryUnavailable] as const
export type HistoryError = HistoryQueryInvalid | HistoryUnavailable

export interface MetricHistoryShape {
  /** Records samples; never fails: what it refuses is counted in the result and in `stats`. */
  readonly record: (samples: ReadonlyArray<Sample>) => Effect.Effect<RecordResult>
  readonly query: (query: Query) => Effect.Effect<ReadonlyArray<SeriesPoints>, HistoryError>
  /** Every series, or those of one metric. */
  readonly series: (name?: string) => Effect.Effect<ReadonlyArray<SeriesKey>>
  /** The newest sample of every series, or of those of one metric. */
  readonly latest: (name?: string) => Effect.Effect<ReadonlyArray<LatestSample>>
  readonly stats: Effect.Effect<HistoryStats>
  /** Makes everything recorded so far durable. */
  readonly flush: Effect.Effect<void, HistoryUnavailable>
}

export class MetricHistory extends Context.Service<MetricHistory, MetricHistoryShape>()("sigmavault/history/MetricHistory") {}

export const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
/** Label values longer than this are refused (a label is a name, not a payload). */
export const MAX_LABEL_VALUE = 256
export const MAX_LABELS = 16

/** Why a sample is invalid, or undefined when it is valid. */
export const invalidSample = (sample: Sample): string | undefined => {
  if (!METRIC_NAME.test(sample.name)) return `metric name '${sample.name.slice(0, 80)}' is not a Prometheus metric name`
  if (!Number.isFinite(sample.value)) return `${sample.name}: value ${sample.value} is not finite`
  const labels = Object.entries(sample.labels ?? {})
  if (labels.length > MAX_LABELS) return `${sample.name}: more than ${MAX_LABELS} labels`
  for (const [label, value] of labels) {
    if (!LABEL_NAME.test(label) || label.startsWith("__")) return `${sample.name}: label name '${label.slice(0, 80)}' is not allowed`
    if (typeof value !== "string" || value.length > MAX_LABEL_VALUE) return `${sample.name}: label ${label}'s value is not a string of at most ${MAX_LABEL_VALUE} characters`
  }
  return undefined
}

/** One canonical text for a series: name and labels sorted by label name (`name{a="1",b="2"}`). */
export const seriesId = (name: string, labels: Labels | undefined): string => {
  const entries = Object.entries(labels ?? {}).filter(([, v]) => v !== "").sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  if (entries.length === 0) return name
  return `${name}{${entries.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",")}}`
}

/** Compiles matchers (regexes anchored as in PromQL); the error names the bad one. */
export const compileMatchers = (
  matchers: ReadonlyArray<Matcher> | undefined
): ((labels: Labels) => boolean) | HistoryQueryInvalid => {
  const tests: Array<(labels: Labels) => boolean> = []
  for (const [i, m] of (matchers ?? []).entries()) {
    if (!LABEL_NAME.test(m.label)) return new HistoryQueryInvalid({ field: `matchers[${i}].label`, reason: `'${m.label.slice(0, 80)}' is not a label name` })
    if (m.op === "=" || m.op === "!=") {
      const eq = m.op === "="
      tests.push((labels) => ((labels[m.label] ?? "") === m.value) === eq)
      continue
    }
    if (m.value.length > 512) return new HistoryQueryInvalid({ field: `matchers[${i}].value`, reason: "is longer than 512 characters" })
    let re: RegExp
    try {
      re = new RegExp(`^(?:${m.value})$`)
    } catch (error) {
      return new HistoryQueryInvalid({ field: `matchers[${i}].value`, reason: `is not a regular expression (${String(error).slice(0, 120)})` })
    }
    const match = m.op === "=~"
    tests.push((labels) => re.test(labels[m.label] ?? "") === match)
  }
  return (labels) => tests.every((t) => t(labels))
}

/** Most points one query may return in one series (Prometheus refuses above 11,000). */
export const MAX_POINTS = 11_000
