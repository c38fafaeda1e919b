/**
 * `invalidSample` and `seriesId` of History.ts in one pass, fast on the
 * common shapes (few labels, names seen before): the ingest path's hottest
 * code. Same answers as the two of them (a fast-check property holds it to
 * them); anything unusual goes to them.
 */
import { invalidSample, LABEL_NAME, type Labels, MAX_LABEL_VALUE, MAX_LABELS, METRIC_NAME, type Sample, seriesId } from "../History.ts"

const goodNames = new Set<string>()
const goodLabels = new Set<string>()
const CACHE_LIMIT = 4096
const PLAIN = /^[A-Za-z0-9_ .:/@+=,;-]*$/

const nameOk = (name: string): boolean => {
  if (goodNames.has(name)) return true
  if (typeof name !== "string" || !METRIC_NAME.test(name)) return false
  if (goodNames.size < CACHE_LIMIT) goodNames.add(name)
  return true
}

const labelOk = (label: string): boolean => {
  if (goodLabels.has(label)) return true
  if (!LABEL_NAME.test(label) || label.startsWith("__")) return false
  if (goodLabels.size < CACHE_LIMIT) goodLabels.add(label)
  return true
}

const quoted = (value: string) => (PLAIN.test(value) ? `"${value}"` : JSON.stringify(value))

/** The sample's series id, or undefined when `invalidSample` would refuse it. */
export const identify = (sample: Sample): string | undefined => {
  const name = sample.name
  if (!nameOk(name) || !Number.isFinite(sample.value)) return undefined
  const labels: Labels | undefined = sample.labels
  if (labels === undefined || labels === null) return name
  const keys = Object.keys(labels)
  if (keys.length > MAX_LABELS || keys.length > 2) return invalidSample(sample) === undefined ? seriesId(name, labels) : undefined
  let parts = ""
  if (keys.length === 2 && keys[1]! < keys[0]!) keys.reverse()
  for (const key of keys) {
    const value = labels[key]
    if (!labelOk(key) || typeof value !== "string" || value.length > MAX_LABEL_VALUE) return undefined
    if (value === "") continue
    parts += `${parts === "" ? "" : ","}${key}=${quoted(value)}`
  }
  return parts === "" ? name : `${name}{${parts}}`
}
