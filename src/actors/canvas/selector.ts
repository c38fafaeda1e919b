/**
 * A series selector as people type it, PromQL's way:
 * `sigmavault_pool_allocated_bytes{pool="tank",dataset=~"tank/.*"}`. Parsed
 * strictly: an error names the column and what was expected there. Written
 * back (`selectorText`) in one canonical form that parses to the same thing.
 * Pure: the CLI parses with it, CANVAS titles its charts with it.
 */
import type { Matcher } from "../../history/History.ts"
import { quoteValue } from "./series.ts"

export interface Selector {
  readonly metric: string
  readonly matchers: ReadonlyArray<Matcher>
}

export type SelectorResult = { readonly ok: true; readonly selector: Selector } | { readonly ok: false; readonly message: string }

const METRIC_START = /[a-zA-Z_:]/
const METRIC_CHAR = /[a-zA-Z0-9_:]/
const LABEL_START = /[a-zA-Z_]/
const LABEL_CHAR = /[a-zA-Z0-9_]/
const MAX_VALUE = 512
const MAX_MATCHERS = 16

/** The canonical text of a selector: values quoted as JSON strings (C1 controls escaped too), no spaces; the bare name without matchers. */
export const selectorText = (metric: string, matchers: ReadonlyArray<Matcher> | undefined): string =>
  matchers === undefined || matchers.length === 0
    ? metric
    : `${metric}{${matchers.map((m) => `${m.label}${m.op}${quoteValue(m.value)}`).join(",")}}`

const shown = (c: string | undefined) => (c === undefined ? "the end" : `'${JSON.stringify(c).slice(1, -1)}'`)

export const parseSelector = (text: string): SelectorResult => {
  let i = 0
  const error = (message: string): SelectorResult => ({ ok: false, message: `at column ${i + 1}: ${message}` })
  const spaces = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++
  }
  if (text.trim() === "") return { ok: false, message: "is empty; expected a metric name such as sigmavault_pool_allocated_bytes" }
  spaces()
  const start = i
  if (!METRIC_START.test(text[i] ?? "")) return error(`expected a metric name (a letter, '_' or ':' first), found ${shown(text[i])}`)
  while (i < text.length && METRIC_CHAR.test(text[i]!)) i++
  const metric = text.slice(start, i)
  spaces()
  const matchers: Array<Matcher> = []
  if (i === text.length) return { ok: true, selector: { metric, matchers } }
  if (text[i] !== "{") return error(`expected '{' or the end after the metric name '${metric}', found ${shown(text[i])}`)
  i++
  for (;;) {
    spaces()
    if (text[i] === "}") break
    const labelStart = i
    if (!LABEL_START.test(text[i] ?? "")) return error(`expected a label name (a letter or '_' first) or '}', found ${shown(text[i])}`)
    while (i < text.length && LABEL_CHAR.test(text[i]!)) i++
    const label = text.slice(labelStart, i)
    spaces()
    const op = text.startsWith("=~", i) ? "=~" : text.startsWith("!~", i) ? "!~" : text.startsWith("!=", i) ? "!=" : text[i] === "=" ? "=" : undefined
    if (op === undefined) return error(`expected one of = != =~ !~ after the label '${label}', found ${shown(text[i])}`)
    i += op.length
    spaces()
    const quote = text[i]
    if (quote !== "\"" && quote !== "'" && quote !== "`") return error(`expected a quoted value ("…", '…' or \`…\`) for the label '${label}', found ${shown(text[i])}`)
    const valueStart = i
    i++
    let value = ""
    for (;;) {
      const c = text[i]
      if (c === undefined) {
        i = valueStart
        return error(`the value of '${label}' has no closing ${quote}`)
      }
      if (c === quote) {
        i++
        break
      }
      if (c === "\\" && quote !== "`") {
        const e = text[i + 1]
        const simple: Record<string, string> = { "\\": "\\", "\"": "\"", "'": "'", n: "\n", t: "\t", r: "\r", "/": "/", b: "\b", f: "\f" }
        if (e !== undefined && e in simple) {
          value += simple[e]
          i += 2
          continue
        }
        if (e === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          value += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16))
          i += 6
          continue
        }
        return error(`unknown escape ${shown(`\\${e ?? ""}`)} in the value of '${label}' (known: \\\\ \\" \\' \\n \\t \\r \\uXXXX)`)
      }
      if (quote !== "`" && (c === "\n" || c === "\r")) return error(`the value of '${label}' runs past the end of the line (no closing ${quote})`)
      value += c
      i++
    }
    if (value.length > MAX_VALUE) return { ok: false, message: `the value of '${label}' is longer than ${MAX_VALUE} characters` }
    if (op === "=~" || op === "!~") {
      try {
        new RegExp(`^(?:${value})$`)
      } catch (cause) {
        return { ok: false, message: `the value of '${label}' (after ${op}) is not a regular expression: ${cause instanceof Error ? cause.message : String(cause)}` }
      }
    }
    matchers.push({ label, op, value })
    if (matchers.length > MAX_MATCHERS) return { ok: false, message: `more than ${MAX_MATCHERS} label matchers` }
    spaces()
    if (text[i] === ",") {
      i++
      continue
    }
    if (text[i] === "}") break
    return error(`expected ',' or '}' after the matcher on '${label}', found ${shown(text[i])}`)
  }
  i++
  spaces()
  if (i !== text.length) return error(`expected the end after '}', found ${shown(text[i])}`)
  return { ok: true, selector: { metric, matchers } }
}
