/** MENTOR's protocol: the single source of its message schemas, access classes and replies. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { AgentName, Text } from "../shared/fields.ts"
import { DependencyFailed } from "../shared/rejections.ts"
import { NoSuchIncident } from "../nexus/messages.ts"

/** A code ("ZFS-8000-9P"), another name for one ("pending-growth"), an alert's text, or a NEXUS incident id ("inc-7"). */
const Finding = Text.check(Schema.isMaxLength(4_000))
/** What the finding is about, as alerts name it ("pool tank", "/dev/sdb"): fills the commands' placeholders. */
const Subject = Text.check(Schema.isMaxLength(256))
const Source = Schema.String.check(Schema.isPattern(/^[a-z][a-z0-9-]{0,31}$/, { expected: "a source in lower case, e.g. lattice, zfs, smart" }))

export const StepClass = Schema.Literals(["safe", "confirm", "destructive"])
export const Urgency = Schema.Literals(["info", "warning", "critical"])

export const Step = Schema.Struct({
  text: Schema.String,
  /** safe: reads, or cannot lose data; confirm: changes the system; destructive: loses data or rewinds a pool. */
  class: StepClass,
  /** An argument vector (a tool, or `sigmavault ask AGENT '{…}'`), never a shell line. */
  command: Schema.optionalKey(Schema.Array(Schema.String)),
  /** Placeholders still in the command, for you to fill ({new-device}, or what the subject did not say). */
  unfilled: Schema.optionalKey(Schema.Array(Schema.String))
})
export type Step = typeof Step.Type

const Matched = Schema.Literals(["code", "alias", "text", "incident"])

export const Explanation = Schema.Struct({
  code: Schema.String,
  source: Schema.String,
  title: Schema.String,
  meaning: Schema.String,
  urgency: Urgency,
  /** "now", "today", "this week", "this month", "when convenient", "nothing to do". */
  actWithin: Schema.String,
  see: Schema.optionalKey(Schema.String),
  /** The subject the placeholders were filled from, when there was one. */
  subject: Schema.optionalKey(Schema.String),
  steps: Schema.Array(Step)
})
export type Explanation = typeof Explanation.Type

export const Remediation = Schema.Struct({
  code: Schema.String,
  title: Schema.String,
  urgency: Urgency,
  actWithin: Schema.String,
  subject: Schema.optionalKey(Schema.String),
  steps: Schema.Array(Step)
})

export const CodeInfo = Schema.Struct({ code: Schema.String, source: Schema.String, title: Schema.String, urgency: Urgency })

export class UnknownFinding extends Schema.TaggedError<UnknownFinding>()("UnknownFinding", {
  finding: Schema.String,
  /** The closest codes, by edit distance. */
  near: Schema.Array(Schema.String)
}) {
  override get message() {
    const shown = this.finding.length > 80 ? `${this.finding.slice(0, 80)}…` : this.finding
    return `no finding code matches '${shown}'` +
      (this.near.length > 0 ? `; did you mean ${this.near.join(", ")}?` : "; MENTOR `codes` lists every code it knows")
  }
}

const fields = {
  finding: Finding,
  /** The agent that raised it: narrows how an alert's text is read. */
  agent: Schema.optionalKey(AgentName),
  subject: Schema.optionalKey(Subject)
}

const Answer = { finding: Schema.String, matched: Matched, incident: Schema.optionalKey(Schema.String) }

export const Mentor = Protocol.make("MENTOR", [
  Protocol.message("explain", {
    doc: "a finding explained in plain language: what it means, how urgent, and the steps (exact commands, each safe/confirm/destructive); a code, an alert's text or a NEXUS incident id",
    access: "read",
    fields,
    reply: Schema.Struct({ ...Answer, explanations: Schema.Array(Explanation) }),
    rejections: [UnknownFinding, NoSuchIncident, DependencyFailed]
  }),
  Protocol.message("remediation", {
    doc: "the steps that resolve a finding, with their commands filled in from its subject",
    access: "read",
    fields,
    reply: Schema.Struct({ ...Answer, remediations: Schema.Array(Remediation) }),
    rejections: [UnknownFinding, NoSuchIncident, DependencyFailed]
  }),
  Protocol.message("codes", {
    doc: "every finding code MENTOR explains (or those of one source: lattice, zfs, smart, fortress, …)",
    access: "read",
    fields: { source: Schema.optionalKey(Source) },
    reply: Schema.Struct({ codes: Schema.Array(CodeInfo) })
  })
])
