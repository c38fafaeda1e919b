/**
 * A strict reader of the Prometheus text exposition format 0.0.4, for tests:
 * it throws, naming the line, on anything the format does not allow or that
 * Prometheus would take badly — a HELP or TYPE given twice or after the
 * family's samples, a family's samples not together, the same series twice,
 * a bad escape, name or value, a label given twice, a missing final newline.
 * Samples of a family may carry the family's name only (no _sum/_count:
 * SigmaVault exposes no summaries or histograms).
 */
export interface ParsedSample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
  readonly timestamp?: number
}

export interface ParsedFamily {
  readonly name: string
  type?: string
  help?: string
  readonly samples: Array<ParsedSample>
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"])
const FLOAT = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|Inf|inf)$/

const parseFloatStrict = (text: string, where: string): number => {
  if (text === "NaN") return NaN
  if (!FLOAT.test(text)) throw new Error(`${where}: '${text}' is not a float`)
  return text.replace(/^[+-]/, "").toLowerCase() === "inf" ? (text.startsWith("-") ? -Infinity : Infinity) : Number(text)
}

const unescape = (text: string, allowed: "label" | "help", where: string): string => {
  let out = ""
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c !== "\\") {
      out += c
      continue
    }
    const next = text[++i]
    if (next === "\\") out += "\\"
    else if (next === "n") out += "\n"
    else if (next === "\"" && allowed === "label") out += "\""
    else throw new Error(`${where}: bad escape '\\${next ?? ""}'`)
  }
  return out
}

export const parseExposition = (text: string): Array<ParsedFamily> => {
  if (text !== "" && !text.endsWith("\n")) throw new Error("the exposition does not end with a newline")
  const families: Array<ParsedFamily> = []
  const byName = new Map<string, ParsedFamily>()
  const series = new Set<string>()
  let current: ParsedFamily | undefined
  const family = (name: string, where: string): ParsedFamily => {
    let f = byName.get(name)
    if (f === undefined) {
      f = { name, samples: [] }
      byName.set(name, f)
      families.push(f)
    } else if (f !== current) throw new Error(`${where}: family ${name} continues after another family began`)
    current = f
    return f
  }
  const lines = text.split("\n").slice(0, -1)
  lines.forEach((line, index) => {
    const where = `line ${index + 1}`
    if (line === "") throw new Error(`${where}: empty line`)
    if (line.startsWith("#")) {
      // As Prometheus reads it: the blanks after the name are not part of the help.
      const m = /^# (HELP|TYPE) (\S+)(?:[ \t]+(.*))?$/s.exec(line)
      if (m === null) {
        if (/^# (HELP|TYPE)/.test(line)) throw new Error(`${where}: malformed ${line.slice(2, 6)} line`)
        return // a comment
      }
      const [, kind, name, rest = ""] = m as unknown as [string, string, string, string | undefined]
      if (!METRIC_NAME.test(name)) throw new Error(`${where}: '${name}' is not a metric name`)
      const f = family(name, where)
      if (kind === "HELP") {
        if (f.help !== undefined) throw new Error(`${where}: second HELP for ${name}`)
        if (f.samples.length > 0) throw new Error(`${where}: HELP for ${name} after its samples`)
        f.help = unescape(rest, "help", where)
      } else {
        if (f.type !== undefined) throw new Error(`${where}: second TYPE for ${name}`)
        if (f.samples.length > 0) throw new Error(`${where}: TYPE for ${name} after its samples`)
        if (!TYPES.has(rest)) throw new Error(`${where}: '${rest}' is not a metric type`)
        f.type = rest
      }
      return
    }
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)
    if (nameMatch === null) throw new Error(`${where}: no metric name`)
    const name = nameMatch[0]
    let i = name.length
    const labels: Record<string, string> = {}
    if (line[i] === "{") {
      i++
      while (line[i] !== "}") {
        const lm = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i))
        if (lm === null) throw new Error(`${where}: bad label name at column ${i + 1}`)
        const label = lm[0]
        if (!LABEL_NAME.test(label)) throw new Error(`${where}: bad label name '${label}'`)
        i += label.length
        if (line.slice(i, i + 2) !== "=\"") throw new Error(`${where}: expected =" after label ${label}`)
        i += 2
        let raw = ""
        for (;;) {
          const c = line[i]
          if (c === undefined) throw new Error(`${where}: unterminated value of label ${label}`)
          if (c === "\\") {
            raw += c + (line[i + 1] ?? "")
            i += 2
            continue
          }
          if (c === "\"") break
          raw += c
          i++
        }
        i++
        if (Object.hasOwn(labels, label)) throw new Error(`${where}: label ${label} given twice`)
        labels[label] = unescape(raw, "label", where)
        if (line[i] === ",") i++
        else if (line[i] !== "}") throw new Error(`${where}: expected , or } after label ${label}`)
      }
      i++
    }
    if (line[i] !== " ") throw new Error(`${where}: expected a space before the value`)
    const fields = line.slice(i + 1).split(" ")
    if (fields.length < 1 || fields.length > 2 || fields.some((f) => f === "")) throw new Error(`${where}: expected a value and an optional timestamp`)
    const value = parseFloatStrict(fields[0]!, where)
    let timestamp: number | undefined
    if (fields[1] !== undefined) {
      if (!/^-?\d+$/.test(fields[1])) throw new Error(`${where}: '${fields[1]}' is not a timestamp in ms`)
      timestamp = Number(fields[1])
    }
    const f = family(name, where)
    const key = `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`
    if (series.has(key)) throw new Error(`${where}: series ${name}${JSON.stringify(labels)} given twice`)
    series.add(key)
    f.samples.push({ name, labels, value, ...(timestamp === undefined ? {} : { timestamp }) })
  })
  return families
}
