/**
 * A chart as an SVG document: a title (the selection) and subtitle (help,
 * rate, window), a value axis in the unit's human scale, a time axis with
 * labels suited to the window, one line per series (broken where there is no
 * data) and a legend naming each with its last value. Self-contained: no
 * script, no style sheet, no link or reference of any kind; every piece of
 * text is escaped, so the document is well-formed XML whatever the labels
 * hold. Deterministic: the same input gives the same bytes. Pure.
 */
import { labelText, lastOf, type Line, valuesOf } from "./series.ts"
import { timeTicks } from "./time.ts"
import { decimalsFor, formatValue, scaleFor, valueTicks } from "./units.ts"
import { escapeXml, truncate } from "./xml.ts"

export interface ChartInput {
  /** the selection as text, e.g. sigmavault_pool_allocated_bytes{pool="tank"} */
  readonly selector: string
  readonly help: string
  /** the unit drawn (a catalogue unit, "/s" added for a rate) */
  readonly unit: string
  readonly rate: boolean
  readonly from: number
  readonly to: number
  readonly windowText: string
  readonly offsetName: string
  readonly offsetMinutes: number
  readonly width: number
  readonly height: number
  readonly lines: ReadonlyArray<Line>
  /** series matched but not drawn (over the cap) */
  readonly omitted: number
}

/** Distinct on white, for up to twelve lines. */
export const PALETTE = [
  "#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#9c755f",
  "#76b7b2", "#edc948", "#ff9da7", "#1f77b4", "#8c564b", "#17becf"
] as const

const LEFT = 72
const RIGHT = 24
const TOP = 72
const AXIS = 44
const LEGEND_ROW = 18
const MIN_PLOT = 80

/** A coordinate with one decimal ("-0" never written). */
const n = (x: number): string => String(Math.round(x * 10) / 10 + 0)

const text = (x: number, y: number, content: string, attributes = ""): string =>
  `<text x="${n(x)}" y="${n(y)}"${attributes === "" ? "" : ` ${attributes}`}>${escapeXml(content)}</text>`

export const renderChart = (input: ChartInput): string => {
  const width = input.width
  const all = input.lines.flatMap(valuesOf)
  const empty = all.length === 0
  const legendRows = input.lines.length + (input.omitted > 0 ? 1 : 0)
  const legendHeight = legendRows * LEGEND_ROW + 8
  const plotHeight = Math.max(MIN_PLOT, input.height - TOP - AXIS - legendHeight)
  const height = TOP + plotHeight + AXIS + legendHeight
  const plotWidth = width - LEFT - RIGHT
  const bottom = TOP + plotHeight

  const dataLow = empty ? 0 : all.reduce((m, v) => Math.min(m, v), Infinity)
  const dataHigh = empty ? 1 : all.reduce((m, v) => Math.max(m, v), -Infinity)
  const low = Math.min(0, dataLow)
  const high = Math.max(dataHigh, low)
  const scale = scaleFor(input.unit, Math.max(Math.abs(low), Math.abs(high)))
  const axis = valueTicks(low / scale.divisor, high / scale.divisor, Math.max(2, Math.floor(plotHeight / 40)))
  const decimals = decimalsFor(axis.step)
  const y = (value: number) => bottom - ((value / scale.divisor - axis.low) / (axis.high - axis.low)) * plotHeight
  const span = Math.max(1, input.to - input.from)
  const x = (at: number) => LEFT + ((at - input.from) / span) * plotWidth

  const out: Array<string> = []
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`)
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="sans-serif" font-size="12" fill="#222222">`
  )
  out.push(`<title>${escapeXml(truncate(input.selector, 400))}</title>`)
  out.push(`<desc>${escapeXml(`${input.help} (${input.windowText}; ${input.rate ? "rate per second, " : ""}unit ${scale.label || "none"})`)}</desc>`)
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`)
  const titleChars = Math.max(20, Math.floor((width - 2 * 16) / 8))
  out.push(text(16, 22, truncate(input.selector, titleChars), `font-size="15" font-weight="bold"`))
  const subtitle = `${input.help}${input.rate ? " Drawn as a rate per second." : ""} ${input.windowText.charAt(0).toUpperCase()}${input.windowText.slice(1)}.`
  out.push(text(16, 42, truncate(subtitle, Math.floor((width - 32) / 7)), `fill="#555555"`))

  // The value axis: grid lines and labels in the scale's unit, the unit above them.
  out.push(`<g stroke="#e6e6e6" stroke-width="1">`)
  for (const tick of axis.ticks) out.push(`<line x1="${LEFT}" y1="${n(y(tick * scale.divisor))}" x2="${LEFT + plotWidth}" y2="${n(y(tick * scale.divisor))}"/>`)
  out.push(`</g>`)
  out.push(`<g text-anchor="end" fill="#555555">`)
  for (const tick of axis.ticks) out.push(text(LEFT - 6, y(tick * scale.divisor) + 4, tick.toFixed(decimals)))
  out.push(`</g>`)
  if (scale.label !== "") out.push(text(16, TOP - 14, scale.label, `font-weight="bold" fill="#555555"`))

  // The time axis: ticks on round wall-clock times, the offset named.
  const ticks = timeTicks(input.from, input.to, Math.max(2, Math.floor(plotWidth / 80)), input.offsetMinutes)
  out.push(`<g stroke="#cccccc" stroke-width="1">`)
  out.push(`<line x1="${LEFT}" y1="${bottom}" x2="${LEFT + plotWidth}" y2="${bottom}"/>`)
  out.push(`<line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${bottom}"/>`)
  for (const tick of ticks) out.push(`<line x1="${n(x(tick.at))}" y1="${bottom}" x2="${n(x(tick.at))}" y2="${bottom + 5}"/>`)
  out.push(`</g>`)
  out.push(`<g text-anchor="middle" fill="#555555">`)
  for (const tick of ticks) out.push(text(x(tick.at), bottom + 18, tick.label))
  out.push(`</g>`)
  out.push(text(LEFT + plotWidth, bottom + 36, `time (${input.offsetName})`, `text-anchor="end" fill="#555555"`))

  // The lines: one path per series, a move (not a line) across each gap; a lone point is a dot.
  out.push(`<g fill="none" stroke-width="1.5" stroke-linejoin="round" stroke-linecap="round">`)
  input.lines.forEach((line, i) => {
    const d = line.segments
      .map((segment) => segment.map(([at, v], j) => `${j === 0 ? "M" : "L"}${n(x(at))} ${n(y(v))}`).join(" ") + (segment.length === 1 ? " h0" : ""))
      .join(" ")
    if (d !== "") out.push(`<path stroke="${PALETTE[i % PALETTE.length]}" d="${d}"/>`)
  })
  out.push(`</g>`)
  if (empty) out.push(text(LEFT + plotWidth / 2, TOP + plotHeight / 2, "no data in this window", `text-anchor="middle" fill="#888888"`))

  // The legend: each series by its labels and its last value; what was left out, said.
  const legendChars = Math.max(20, Math.floor((width - LEFT - 24) / 6.5))
  const legendTop = bottom + AXIS + 4
  input.lines.forEach((line, i) => {
    const row = legendTop + i * LEGEND_ROW
    const last = lastOf(line)
    const name = Object.keys(line.labels).length === 0 ? line.name : labelText(line.labels)
    const value = last === undefined ? "no data" : `last ${formatValue(last[1], input.unit)}`
    out.push(`<rect x="${LEFT}" y="${row - 6}" width="14" height="4" fill="${PALETTE[i % PALETTE.length]}"/>`)
    out.push(text(LEFT + 20, row, `${truncate(name, legendChars - value.length - 3)} — ${value}`))
  })
  if (input.omitted > 0) {
    const row = legendTop + input.lines.length * LEGEND_ROW
    const note = `${input.omitted} more series not drawn (the ${input.lines.length} with the highest peaks are); narrow the selection with label matchers`
    out.push(text(LEFT, row, truncate(note, legendChars), `fill="#aa3333"`))
  }
  out.push(`</svg>`)
  return out.join("\n") + "\n"
}
