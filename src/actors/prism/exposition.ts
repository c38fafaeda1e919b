/**
 * The Prometheus text exposition format 0.0.4, written: families of samples
 * with one HELP and one TYPE line each, label values and help text escaped as
 * the format says (backslash, double quote and line feed in label values;
 * backslash and line feed in help), values as Go's ParseFloat reads them.
 *
 * Pure: PRISM's machine gathers the families (exposition of the runtime, the
 * history's newest samples and its stats) and this module renders them.
 * https://prometheus.io/docs/instrumenting/exposition_formats/
 */
import { LABEL_NAME, type Labels, METRIC_NAME } from "../../history/History.ts"
import { type MetricDef, METRICS } from "../../history/catalogue.ts"

export type FamilyType = "counter" | "gauge" | "untyped"

export interface ExpoSample {
  readonly labels: Labels
  readonly value: number
  /** ms since the epoch; rendered only when asked for */
  readonly at?: number | undefined
}

export interface Family {
  readonly name: string
  readonly type: FamilyType
  readonly help: string
  readonly unit?: string | undefined
  readonly samples: ReadonlyArray<ExpoSample>
}

/** The content type Prometheus expects for this format. */
export const TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

/** What a metric not in the catalogue says for itself. */
export const UNCATALOGUED_HELP = "Not in SigmaVault's metric catalogue (docs/metrics.md), so its type is unknown."

export const escapeLabelValue = (value: string): string =>
  value.replace(/[\\"\n]/g, (c) => (c === "\\" ? "\\\\" : c === "\"" ? "\\\"" : "\\n"))

export const escapeHelp = (text: string): string => text.replace(/[\\\n]/g, (c) => (c === "\\" ? "\\\\" : "\\n"))

/** A value as Go's strconv.ParseFloat reads it (Prometheus' own spelling of the infinities and NaN). */
export const formatValue = (value: number): string =>
  Number.isNaN(value) ? "NaN" : value === Infinity ? "+Inf" : value === -Infinity ? "-Inf" : String(value)

const renderLabels = (labels: Labels): string => {
  const entries = Object.entries(labels).filter(([, v]) => v !== "").sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  if (entries.length === 0) return ""
  return `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`
}

/**
 * The exposition of `families`, in their order; a family without samples is
 * left out (a HELP and TYPE with nothing under them says nothing).
 * `timestamps`: each sample's `at` after its value (never in a textfile:
 * node_exporter refuses them).
 */
export const renderText = (families: ReadonlyArray<Family>, options: { readonly timestamps?: boolean } = {}): string => {
  const out: Array<string> = []
  for (const family of families) {
    if (family.samples.length === 0) continue
    out.push(`# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`)
    for (const sample of family.samples) {
      const at = options.timestamps === true && sample.at !== undefined ? ` ${Math.round(sample.at)}` : ""
      out.push(`${family.name}${renderLabels(sample.labels)} ${formatValue(sample.value)}${at}\n`)
    }
  }
  return out.join("")
}

/**
 * One text per series (its labels sorted, empty values left out), unambiguous
 * whatever the values hold: each value is prefixed by its length. Cheaper than
 * History's seriesId, which an exposition would call for every sample.
 */
export const seriesKey = (name: string, labels: Labels): string => {
  const names = Object.keys(labels)
  if (names.length > 1) names.sort()
  let key = name
  for (const label of names) {
    const value = labels[label]!
    if (value !== "") key += ` ${label}=${value.length}:${value}`
  }
  return key
}

const validLabels = (labels: Labels): boolean => {
  for (const label in labels) if (!LABEL_NAME.test(label) || label.startsWith("__")) return false
  return true
}

/** The source of one family's samples as PRISM gathers them. */
export interface Gathered {
  readonly name: string
  readonly labels: Labels
  readonly value: number
  readonly at?: number | undefined
}

export interface Assembled {
  readonly families: ReadonlyArray<Family>
  /** series rendered */
  readonly series: number
  /** series whose metric is not in the catalogue (rendered as untyped) */
  readonly uncatalogued: number
  /** samples left out: an invalid metric or label name, or a second sample of a series already rendered */
  readonly dropped: number
}

/**
 * Groups samples into families: catalogue order first, then the metrics the
 * catalogue does not know (sorted, typed `untyped` with a help that says so).
 * The first sample of a series wins (the caller puts the live ones first);
 * a name or label the format cannot carry is dropped and counted.
 */
export const assemble = (samples: ReadonlyArray<Gathered>, catalogue: ReadonlyArray<MetricDef> = METRICS): Assembled => {
  const byName = new Map<string, Map<string, ExpoSample>>()
  let dropped = 0
  for (const s of samples) {
    if (!METRIC_NAME.test(s.name) || !validLabels(s.labels)) {
      dropped++
      continue
    }
    const id = seriesKey(s.name, s.labels)
    let series = byName.get(s.name)
    if (series === undefined) byName.set(s.name, series = new Map())
    if (series.has(id)) {
      dropped++
      continue
    }
    series.set(id, { labels: s.labels, value: s.value, at: s.at })
  }
  const families: Array<Family> = []
  let count = 0
  let uncatalogued = 0
  const defs = new Map(catalogue.map((m) => [m.name, m]))
  const take = (name: string) => {
    const series = byName.get(name)
    if (series === undefined) return []
    byName.delete(name)
    count += series.size
    return [...series.values()]
  }
  for (const def of catalogue) {
    const taken = take(def.name)
    if (taken.length > 0) families.push({ name: def.name, type: def.type, help: def.help, unit: def.unit, samples: taken })
  }
  for (const name of [...byName.keys()].sort()) {
    if (defs.has(name)) continue
    const taken = take(name)
    uncatalogued += taken.length
    families.push({ name, type: "untyped", help: UNCATALOGUED_HELP, samples: taken })
  }
  return { families, series: count, uncatalogued, dropped }
}
