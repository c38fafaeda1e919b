/**
 * Renderings of a report document: the archived JSON (canonical bytes, the
 * ones hashed into LEDGER) and Markdown for people (a summary line, the
 * findings with their codes, one part per section, the sources). Pure and
 * deterministic: the same document always renders the same bytes.
 */
import type { Cell, Column, ReportDocument, Section } from "./messages.ts"

/** The archived form: the document as JSON, two-space indented, with a final newline. */
export const documentJson = (document: ReportDocument): string => `${JSON.stringify(document, null, 2)}\n`

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]

export const humanBytes = (bytes: number): string => {
  let value = Math.abs(bytes)
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  const text = unit === 0 ? String(Math.round(value)) : value.toFixed(1)
  return `${bytes < 0 ? "-" : ""}${text} ${UNITS[unit]}`
}

export const formatCell = (value: Cell, unit?: Column["unit"]): string => {
  if (value === null) return "—"
  if (typeof value === "boolean") return value ? "yes" : "no"
  if (typeof value === "string") return value
  switch (unit) {
    case "bytes":
      return humanBytes(value)
    case "bytes/day":
      return `${humanBytes(value)}/day`
    case "percent":
      return `${value} %`
    case "celsius":
      return `${value} °C`
    case "days":
      return `${value} day${value === 1 ? "" : "s"}`
    default:
      return String(value)
  }
}

/** A cell's text, safe inside a Markdown table: no pipe or line break can end the cell or the row. */
const escape = (text: string): string => text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/[\r\n]+/g, " ")

const tableOf = (columns: ReadonlyArray<Column>, rows: ReadonlyArray<ReadonlyArray<Cell>>): Array<string> => [
  `| ${columns.map((c) => escape(c.name)).join(" | ")} |`,
  `|${columns.map((c) => (c.unit === undefined ? " --- " : " ---: ")).join("|")}|`,
  ...rows.map((row) => `| ${row.map((cell, i) => escape(formatCell(cell, columns[i]?.unit))).join(" | ")} |`)
]

const STATE_TEXT: Readonly<Record<Section["state"], string>> = {
  answered: "answered",
  unavailable: "did not answer",
  planned: "not built yet",
  withheld: "withheld",
  failed: "failed"
}

const sectionLines = (section: Section): Array<string> => {
  const lines = [`## ${escape(section.title)}`, "", `_Source: ${escape(section.source)} (${STATE_TEXT[section.state]})._`, ""]
  if (section.note !== undefined) lines.push(`> ${escape(section.note)}`, "")
  if (section.facts.length > 0) {
    for (const fact of section.facts) lines.push(`- ${escape(fact.label)}: **${escape(formatCell(fact.value, fact.unit))}**`)
    lines.push("")
  }
  if (section.table !== undefined && section.table.rows.length > 0) {
    lines.push(...tableOf(section.table.columns, section.table.rows), "")
    if (section.table.omitted > 0) lines.push(`_… and ${section.table.omitted} more rows, left out to keep the report short._`, "")
  }
  return lines
}

export const renderMarkdown = (document: ReportDocument): string => {
  const title = document.kind.charAt(0).toUpperCase() + document.kind.slice(1)
  const lines = [
    `# ${title} report`,
    "",
    `**${escape(document.summary)}**`,
    "",
    `- report: \`${document.id}\``,
    `- generated: ${document.generatedAt}, requested by ${escape(document.requestedBy)}`,
    `- period: ${document.period.name}, ${document.period.from} to ${document.period.to}`,
    "",
    "## Findings",
    ""
  ]
  if (document.findings.length === 0) lines.push("No findings.", "")
  else {
    lines.push(
      ...tableOf(
        [{ name: "severity" }, { name: "code" }, { name: "subject" }, { name: "finding" }, { name: "source" }],
        document.findings.map((f) => [f.severity, f.code === undefined ? null : `\`${f.code}\``, f.subject, f.text, f.source])
      ),
      "",
      "`sigmavault ask MENTOR` explains a finding by its code.",
      ""
    )
  }
  for (const section of document.sections) lines.push(...sectionLines(section))
  lines.push(
    "## Sources",
    "",
    ...tableOf(
      [{ name: "source" }, { name: "state" }, { name: "access" }, { name: "note" }],
      document.sources.map((s) => [s.name, STATE_TEXT[s.state], s.access ?? null, s.note ?? null])
    ),
    ""
  )
  return lines.join("\n")
}

// ---- HTML ------------------------------------------------------------------------

/** Text safe in HTML content and attribute values. */
export const escapeHtml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;")

const STYLE = "body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#222}" +
  "table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}" +
  "td.n{text-align:right}th{background:#f3f3f3}.note{color:#555;font-style:italic}.status-critical{color:#b00020}" +
  ".status-attention{color:#a15c00}.status-ok{color:#1b5e20}.status-incomplete{color:#555}code{background:#f3f3f3;padding:0 .2rem}"

const htmlTable = (columns: ReadonlyArray<Column>, rows: ReadonlyArray<ReadonlyArray<Cell>>): Array<string> => [
  "<table>",
  `<tr>${columns.map((c) => `<th>${escapeHtml(c.name)}</th>`).join("")}</tr>`,
  ...rows.map((row) =>
    `<tr>${row.map((cell, i) => `<td${typeof cell === "number" ? " class=\"n\"" : ""}>${escapeHtml(formatCell(cell, columns[i]?.unit))}</td>`).join("")}</tr>`
  ),
  "</table>"
]

/** One self-contained HTML page (inline style, no script, nothing fetched): the same content as the Markdown. */
export const renderHtml = (document: ReportDocument): string => {
  const title = `${document.kind.charAt(0).toUpperCase()}${document.kind.slice(1)} report`
  const lines = [
    "<!DOCTYPE html>",
    "<html lang=\"en\">",
    "<head>",
    "<meta charset=\"utf-8\">",
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
    `<title>${escapeHtml(`${title} ${document.id}`)}</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="status-${document.status}"><strong>${escapeHtml(document.summary)}</strong></p>`,
    "<ul>",
    `<li>report: <code>${escapeHtml(document.id)}</code></li>`,
    `<li>generated: ${escapeHtml(document.generatedAt)}, requested by ${escapeHtml(document.requestedBy)}</li>`,
    `<li>period: ${escapeHtml(document.period.name)}, ${escapeHtml(document.period.from)} to ${escapeHtml(document.period.to)}</li>`,
    "</ul>",
    "<h2>Findings</h2>"
  ]
  if (document.findings.length === 0) lines.push("<p>No findings.</p>")
  else {
    lines.push(...htmlTable(
      [{ name: "severity" }, { name: "code" }, { name: "subject" }, { name: "finding" }, { name: "source" }],
      document.findings.map((f) => [f.severity, f.code ?? null, f.subject, f.text, f.source])
    ))
  }
  for (const section of document.sections) {
    lines.push(`<h2>${escapeHtml(section.title)}</h2>`, `<p class="note">Source: ${escapeHtml(section.source)} (${STATE_TEXT[section.state]}).</p>`)
    if (section.note !== undefined) lines.push(`<p class="note">${escapeHtml(section.note)}</p>`)
    if (section.facts.length > 0) {
      lines.push("<ul>", ...section.facts.map((f) => `<li>${escapeHtml(f.label)}: <strong>${escapeHtml(formatCell(f.value, f.unit))}</strong></li>`), "</ul>")
    }
    if (section.table !== undefined && section.table.rows.length > 0) {
      lines.push(...htmlTable(section.table.columns, section.table.rows))
      if (section.table.omitted > 0) lines.push(`<p class="note">… and ${section.table.omitted} more rows, left out to keep the report short.</p>`)
    }
  }
  lines.push(
    "<h2>Sources</h2>",
    ...htmlTable(
      [{ name: "source" }, { name: "state" }, { name: "access" }, { name: "note" }],
      document.sources.map((s) => [s.name, STATE_TEXT[s.state], s.access ?? null, s.note ?? null])
    ),
    "</body>",
    "</html>",
    ""
  )
  return lines.join("\n")
}
