/**
 * Pure parsers for the text files behind SystemFacts. os-release and cpuinfo
 * parsing never fails: what is missing reads "unknown" (or 0 CPUs, which the
 * live adapter replaces with node:os's count). /proc/meminfo is parsed by the
 * procfs adapter's parser, shared so both agents agree on memory.
 */
import type { OsRelease } from "./SystemFacts.ts"

export const UNKNOWN = "unknown"

export const unknownOsRelease: OsRelease = { id: UNKNOWN, name: UNKNOWN, version: UNKNOWN, prettyName: UNKNOWN }

/** A value as os-release(5) writes it: bare, or in single or double quotes with shell-style backslash escapes. */
const unquote = (raw: string): string => {
  const value = raw.trim()
  const quote = value[0]
  if ((quote === "\"" || quote === "'") && value.length >= 2 && value.endsWith(quote)) {
    const inner = value.slice(1, -1)
    return quote === "'" ? inner : inner.replace(/\\([$"\\`])/g, "$1")
  }
  return value
}

/** The `KEY=value` assignments of an os-release file; comments and malformed lines are skipped. */
export const osReleaseEntries = (text: string): ReadonlyMap<string, string> => {
  const entries = new Map<string, string>()
  for (const line of text.split("\n")) {
    const match = /^\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(line)
    if (match !== null) entries.set(match[1]!, unquote(match[2]!))
  }
  return entries
}

export const parseOsRelease = (text: string): OsRelease => {
  const entries = osReleaseEntries(text)
  const field = (...keys: ReadonlyArray<string>): string => {
    for (const key of keys) {
      const value = entries.get(key)
      if (value !== undefined && value !== "") return value
    }
    return UNKNOWN
  }
  return {
    id: field("ID"),
    name: field("NAME"),
    version: field("VERSION_ID", "VERSION"),
    prettyName: field("PRETTY_NAME")
  }
}

export interface CpuInfo {
  /** Undefined when no line names the model. */
  readonly model: string | undefined
  /** The `processor` entries; 0 when there are none. */
  readonly count: number
}

/**
 * The model is `model name` on x86, `Model` on Raspberry Pi and other ARM
 * boards, `Hardware` on older ARM kernels, `cpu model` on MIPS, `cpu` on POWER.
 */
export const parseCpuInfo = (text: string): CpuInfo => {
  const firstOf = new Map<string, string>()
  let count = 0
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":")
    if (colon < 0) continue
    const key = line.slice(0, colon).trim()
    const value = line.slice(colon + 1).trim()
    if (key === "processor") count++
    if (value !== "" && !firstOf.has(key)) firstOf.set(key, value)
  }
  const model = ["model name", "Model", "Hardware", "cpu model", "cpu"]
    .map((key) => firstOf.get(key))
    .find((value) => value !== undefined)
  return { model, count }
}
