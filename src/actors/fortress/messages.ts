/** FORTRESS's protocol: the single source of its message schemas, replies and access classes. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { Severity } from "../shared/fields.ts"
import { CHECKS, FINDING_CODES } from "./codes.ts"

export const Check = Schema.Literals(CHECKS)
export const FindingCode = Schema.Literals(FINDING_CODES)

/** One weakness, shaped for MENTOR (advice) and SCRIBE (reports): stable code, fixed severity, evidence, fix. */
export const Finding = Schema.Struct({
  code: FindingCode,
  severity: Severity,
  check: Check,
  /** What it is about: "tcp 0.0.0.0:23", "sshd", "/srv/public", "smb share [public]". */
  subject: Schema.String,
  title: Schema.String,
  evidence: Schema.Struct({
    /** Where it was read: "ss -H -tulnp", "sshd -T -f /etc/ssh/sshd_config", "/etc/exports:3", "stat /srv/public". */
    source: Schema.String,
    /** What was read there: the line, the setting, the mode. */
    detail: Schema.String
  }),
  fix: Schema.String
})
export type Finding = typeof Finding.Type

/** A source the audit could not read: the audit is incomplete there, and says so. */
export const Unread = Schema.Struct({ check: Check, source: Schema.String, reason: Schema.String })
export type Unread = typeof Unread.Type

export const AuditResult = Schema.Struct({
  auditedAt: Schema.String,
  durationMs: Schema.Finite,
  checks: Schema.Array(Check),
  findings: Schema.Array(Finding),
  unread: Schema.Array(Unread),
  /** Findings (code and subject) the previous audit did not have. */
  newFindings: Schema.Int,
  /** Whether the result reached the state directory; when not, why. */
  stored: Schema.Boolean,
  storeProblem: Schema.optional(Schema.String)
})
export type AuditResult = typeof AuditResult.Type

export const Fortress = Protocol.make("FORTRESS", [
  Protocol.message("audit", {
    doc: "runs the security audit (all checks, or those named), keeps the result in the state directory and alerts on new high or critical findings",
    access: "admin",
    fields: {
      checks: Schema.optionalKey(Schema.NonEmptyArray(Check))
    },
    reply: AuditResult
  }),
  Protocol.message("findings", {
    doc: "the last audit's findings, those at or above a severity when one is given",
    access: "admin",
    fields: {
      severity: Schema.optionalKey(Severity)
    },
    reply: Schema.Struct({
      /** When the findings were last audited; null: never. */
      auditedAt: Schema.NullOr(Schema.String),
      findings: Schema.Array(Finding),
      unread: Schema.Array(Unread)
    })
  })
])
