/**
 * SCRIBE's protocol: the single source of its message schemas, replies,
 * rejections and access classes. A report is a JSON document (the source);
 * Markdown is rendered from it. docs/reports.md describes both.
 */
import { Schema } from "effect"
import { FileError } from "../../adapters/fs/Files.ts"
import * as Protocol from "../../runtime/Protocol.ts"

export const REPORT_KINDS = ["health", "capacity", "security", "activity"] as const
export const ReportKind = Schema.Literals(REPORT_KINDS)
export type ReportKind = typeof ReportKind.Type

/** markdown (default), json (the document itself), or html (one self-contained page: inline style, no script). */
export const ReportFormat = Schema.Literals(["markdown", "json", "html"])
export type ReportFormat = typeof ReportFormat.Type

/** How far back a report looks (activity, incidents, growth, temperatures): a day, a week (default) or 30 days. */
export const ReportPeriod = Schema.Literals(["day", "week", "month"])
export type ReportPeriod = typeof ReportPeriod.Type

/** `health-20261207T070000Z` (a second suffix `-2`, `-3` … when two reports of a kind share a second). */
export const REPORT_ID = /^(health|capacity|security|activity)-\d{8}T\d{6}Z(-[1-9]\d{0,5})?$/
export const ReportId = Schema.String.check(
  Schema.isPattern(REPORT_ID, { expected: "a report id as `reports` lists it, e.g. health-20261207T070000Z" })
)

/** A table cell: text, a number (its column's unit says how to show it), a flag, or nothing. */
export const Cell = Schema.Union([Schema.String, Schema.Finite, Schema.Boolean, Schema.Null])
export type Cell = typeof Cell.Type

export const Column = Schema.Struct({
  name: Schema.String,
  /** How a number in it reads: bytes (KiB, MiB…), percent, celsius, days; absent: as is. */
  unit: Schema.optionalKey(Schema.Literals(["bytes", "percent", "celsius", "days", "bytes/day"]))
})
export type Column = typeof Column.Type

/** Where a section's facts come from, and whether it answered. */
export const SourceState = Schema.Literals(["answered", "unavailable", "planned", "withheld", "failed"])
export type SourceState = typeof SourceState.Type

export const Source = Schema.Struct({
  /** "LATTICE health", "metric history" */
  name: Schema.String,
  /** The agent and message type asked, when it is an agent. */
  agent: Schema.optionalKey(Schema.String),
  message: Schema.optionalKey(Schema.String),
  /** The access class that message needs: a report is as restricted as the strictest source it includes. */
  access: Schema.optionalKey(Schema.Literals(["read", "operate", "admin", "runtime"])),
  state: SourceState,
  /** Why it did not answer, or what it said of itself. */
  note: Schema.optionalKey(Schema.String)
})
export type Source = typeof Source.Type

export const Section = Schema.Struct({
  title: Schema.String,
  /** The source's state: a section whose source did not answer says so, with no figures. */
  state: SourceState,
  source: Schema.String,
  note: Schema.optionalKey(Schema.String),
  facts: Schema.Array(Schema.Struct({ label: Schema.String, value: Cell, unit: Column.fields.unit })),
  table: Schema.optionalKey(Schema.Struct({
    columns: Schema.Array(Column),
    rows: Schema.Array(Schema.Array(Cell)),
    /** Rows left out to keep the report bounded. */
    omitted: Schema.Int
  }))
})
export type Section = typeof Section.Type

export const FindingSeverity = Schema.Literals(["info", "low", "medium", "warning", "high", "critical"])

export const ReportFinding = Schema.Struct({
  severity: FindingSeverity,
  /** A finding code MENTOR explains (`sigmavault ask MENTOR …`), when the source gave one. */
  code: Schema.optionalKey(Schema.String),
  subject: Schema.String,
  text: Schema.String,
  source: Schema.String
})
export type ReportFinding = typeof ReportFinding.Type

export const REPORT_FORMAT_VERSION = "sigmavault-report/1"

/** The report itself: JSON is the source, Markdown is rendered from it. */
export const ReportDocument = Schema.Struct({
  format: Schema.Literal(REPORT_FORMAT_VERSION),
  id: Schema.String,
  kind: ReportKind,
  generatedAt: Schema.String,
  period: Schema.Struct({ name: ReportPeriod, from: Schema.String, to: Schema.String }),
  /** Who asked: "the daemon" (a schedule), "uid 0". */
  requestedBy: Schema.String,
  /** ok: nothing to act on; attention: warnings; critical: act now; incomplete: no problem seen, but a source did not answer. */
  status: Schema.Literals(["ok", "attention", "critical", "incomplete"]),
  /** One line. */
  summary: Schema.String,
  findings: Schema.Array(ReportFinding),
  sections: Schema.Array(Section),
  sources: Schema.Array(Source)
})
export type ReportDocument = typeof ReportDocument.Type

export const LedgerRecord = Schema.Struct({ seq: Schema.Int, hash: Schema.String })

/** One archived report, as `reports` lists it. */
export const ReportEntry = Schema.Struct({
  id: Schema.String,
  kind: ReportKind,
  generatedAt: Schema.String,
  requestedBy: Schema.String,
  status: ReportDocument.fields.status,
  /** SHA-256 of the archived JSON file, as recorded in LEDGER. */
  sha256: Schema.String,
  bytes: Schema.Int,
  /** The LEDGER entry holding the hash; null when LEDGER could not record it (`ledgerProblem` says why). */
  ledger: Schema.NullOr(LedgerRecord),
  ledgerProblem: Schema.optionalKey(Schema.String),
  /** The strictest access class among its sources: `get-report` needs it. */
  access: Schema.Literals(["read", "operate", "admin"])
})
export type ReportEntry = typeof ReportEntry.Type

export const ReportReply = Schema.Struct({
  entry: ReportEntry,
  /** With format json (the default is markdown). */
  document: Schema.optionalKey(ReportDocument),
  markdown: Schema.optionalKey(Schema.String),
  html: Schema.optionalKey(Schema.String)
})

export class NoSuchReport extends Schema.TaggedError<NoSuchReport>()("NoSuchReport", {
  id: Schema.String,
  kept: Schema.Int
}) {
  override get message() {
    return `no report '${this.id}' in the archive (${this.kept} kept; \`reports\` lists them)`
  }
}

/** The archived file is not the report SCRIBE wrote: it does not parse. */
export class ReportUnreadable extends Schema.TaggedError<ReportUnreadable>()("ReportUnreadable", {
  id: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `report '${this.id}' cannot be read: ${this.reason}`
  }
}

/** The caller may not read one of the report's sources (a security report holds FORTRESS's admin findings). */
export class ReportWithheld extends Schema.TaggedError<ReportWithheld>()("ReportWithheld", {
  id: Schema.String,
  needed: Schema.String,
  sources: Schema.Array(Schema.String),
  caller: Schema.String
}) {
  override get message() {
    return `report '${this.id}' includes ${this.sources.join(", ")}, which need ${this.needed} access; ${this.caller} may not read it`
  }
}

export const Verification = Schema.Struct({
  id: Schema.String,
  /** intact: the file's SHA-256 is the one LEDGER recorded; modified: it is not; unrecorded: LEDGER never got it; unknown: LEDGER could not say. */
  verdict: Schema.Literals(["intact", "modified", "unrecorded", "unknown"]),
  fileSha256: Schema.NullOr(Schema.String),
  ledgerSha256: Schema.NullOr(Schema.String),
  ledgerSeq: Schema.NullOr(Schema.Int),
  /** LEDGER's own chain verification: a hash in a broken chain proves nothing. */
  chainOk: Schema.NullOr(Schema.Boolean),
  detail: Schema.String
})
export type Verification = typeof Verification.Type

export const Scribe = Protocol.make("SCRIBE", [
  Protocol.message("report", {
    doc: "writes a health, capacity, security or activity report from the other agents' answers and the metric history, " +
      "archives it under the state directory and records its SHA-256 in LEDGER; sections the caller may not read are withheld",
    access: "operate",
    fields: {
      kind: ReportKind,
      format: Schema.optionalKey(ReportFormat),
      period: Schema.optionalKey(ReportPeriod)
    },
    reply: ReportReply,
    rejections: [FileError]
  }),
  Protocol.message("reports", {
    doc: "the archived reports, newest first: kind, time, SHA-256, size, the access they need",
    access: "read",
    fields: { kind: Schema.optionalKey(ReportKind) },
    reply: Schema.Struct({
      reports: Schema.Array(ReportEntry),
      keep: Schema.Int,
      maxBytes: Schema.Int,
      bytes: Schema.Int
    }),
    rejections: [FileError]
  }),
  Protocol.message("get-report", {
    doc: "one archived report, as Markdown (default), JSON or HTML; refused when it includes a source the caller may not read",
    access: "read",
    fields: { id: ReportId, format: Schema.optionalKey(ReportFormat) },
    reply: ReportReply,
    rejections: [NoSuchReport, ReportUnreadable, ReportWithheld, FileError]
  }),
  Protocol.message("verify-report", {
    doc: "checks an archived report's SHA-256 against the one recorded in LEDGER when it was written",
    access: "read",
    fields: { id: ReportId },
    reply: Verification,
    rejections: [NoSuchReport, FileError]
  })
])
