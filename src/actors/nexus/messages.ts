/**
 * NEXUS's protocol: the single source of its message schemas, replies,
 * rejections and access classes. NEXUS turns the agents' alerts into
 * incidents (docs/incidents.md): one notification per incident.
 */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { AgentName, Name, Text } from "../shared/fields.ts"
import { FindingCodeText } from "../shared/findings.ts"

/** An alert's severity, as agents raise them (`env.alert`). */
export const AlertSeverity = Schema.Literals(["info", "warning", "critical"])
export type AlertSeverity = typeof AlertSeverity.Type

const bounded = (max: number, what: string) =>
  Text.check(Schema.isMaxLength(max, { expected: `${what} of at most ${max} characters` }))

/** What an alert is about, as agents write it: "pool tank", "/dev/sdb", "link eth0". */
export const Subject = bounded(200, "a subject")
export const Summary = bounded(2000, "a text")
/** A subject to silence: exact, or with `*` standing for any characters ("pool *", "/dev/sd*"). */
export const SubjectPattern = Subject.check(
  Schema.isPattern(/^[^\u0000-\u001f\u007f]*$/, { expected: "a subject pattern without control characters" })
)
/** How long a silence lasts: a minute to 90 days. */
export const SilenceSeconds = Schema.Int.check(Schema.isBetween({ minimum: 60, maximum: 90 * 86_400 }))

/** Changes are planned unless `confirm` is true. */
const Confirm = Schema.optionalKey(Schema.Boolean)

export const AlertView = Schema.Struct({
  fingerprint: Schema.String,
  agent: Schema.String,
  subject: Schema.String,
  /** The topology node it is about ("disk:/dev/sdb", "pool:tank"), or "subject:…" for things outside the storage graph. */
  entity: Schema.String,
  kind: Schema.String,
  severity: AlertSeverity,
  text: Schema.String,
  /** The finding's stable code ("ZFS-8000-2Q"), when the agent gave one: MENTOR `explain` takes it. */
  code: Schema.optionalKey(Schema.String),
  firstAt: Schema.String,
  lastAt: Schema.String,
  /** How many times it was raised (duplicates folded in). */
  count: Schema.Int,
  firing: Schema.Boolean,
  /** How it stopped firing: recovered (its agent said so), expired (resolve timeout), with-cause (an effect of a cause that cleared). */
  cleared: Schema.optionalKey(Schema.Literals(["recovered", "expired", "with-cause"])),
  /** Suppressed by a faulted cause in the same incident: it joined without a notification. */
  inhibited: Schema.Boolean
})
export type AlertView = typeof AlertView.Type

export const IncidentSummary = Schema.Struct({
  id: Schema.String,
  state: Schema.Literals(["open", "resolved"]),
  severity: AlertSeverity,
  /** The root of the group, its cause: "disk /dev/sdb", "pool tank". */
  subject: Schema.String,
  root: Schema.String,
  title: Schema.String,
  openedAt: Schema.String,
  updatedAt: Schema.String,
  resolvedAt: Schema.optionalKey(Schema.String),
  resolution: Schema.optionalKey(Schema.String),
  acknowledged: Schema.optionalKey(Schema.Struct({ by: Schema.String, at: Schema.String })),
  /** Every firing alert matches an active silence: no notifications while so. */
  silenced: Schema.Boolean,
  /** The one "opened" notification has gone out (it waits group_wait first). */
  notified: Schema.Boolean,
  /** Notifications sent for it: opened, updates, acknowledged, resolved. */
  notifications: Schema.Int,
  /** Distinct alerts (fingerprints) in it, kept or not. */
  alerts: Schema.Int,
  firing: Schema.Int,
  /** Alerts as raised, duplicates included. */
  raised: Schema.Int,
  inhibited: Schema.Int,
  /** Distinct alerts beyond the per-incident cap: counted, not kept. */
  dropped: Schema.Int
})
export type IncidentSummary = typeof IncidentSummary.Type

/** What NEXUS has taken in: every alert is in one incident, or silenced, deduplicated, a recovery, or information. */
export const Feed = Schema.Struct({
  received: Schema.Int,
  /** Alert events lost because NEXUS fell more than its buffer behind (exact). */
  lost: Schema.Int,
  deduplicated: Schema.Int,
  silenced: Schema.Int,
  inhibited: Schema.Int,
  recoveries: Schema.Int,
  /** Info alerts that cleared nothing: recorded as a count, no incident. */
  info: Schema.Int,
  notifications: Schema.Int,
  /** Resolved incidents pruned to keep `incidents_kept`. */
  pruned: Schema.Int,
  /** Where the storage graph came from: "VERTEX (12 nodes)" or why it is missing. */
  topology: Schema.String
})
export type Feed = typeof Feed.Type

export const SilenceView = Schema.Struct({
  id: Schema.String,
  agent: Schema.optionalKey(Schema.String),
  subject: Schema.optionalKey(Schema.String),
  severity: Schema.optionalKey(AlertSeverity),
  reason: Schema.String,
  createdBy: Schema.String,
  createdAt: Schema.String,
  expiresAt: Schema.String,
  /** Alerts it kept from incidents. */
  silenced: Schema.Int
})
export type SilenceView = typeof SilenceView.Type

export class NoSuchIncident extends Schema.TaggedError<NoSuchIncident>()("NoSuchIncident", { id: Schema.String }) {
  override get message() {
    return `no incident '${this.id}' (see NEXUS incidents; resolved incidents are pruned oldest first)`
  }
}

export class IncidentResolved extends Schema.TaggedError<IncidentResolved>()("IncidentResolved", { id: Schema.String }) {
  override get message() {
    return `incident '${this.id}' is already resolved: there is nothing to acknowledge`
  }
}

export class NoSuchSilence extends Schema.TaggedError<NoSuchSilence>()("NoSuchSilence", { id: Schema.String }) {
  override get message() {
    return `no active silence '${this.id}' (see NEXUS silences; an expired silence is gone)`
  }
}

export class BadMatcher extends Schema.TaggedError<BadMatcher>()("BadMatcher", { field: Schema.String, reason: Schema.String }) {
  override get message() {
    return `bad silence matcher '${this.field}': ${this.reason}`
  }
}

export class TooManySilences extends Schema.TaggedError<TooManySilences>()("TooManySilences", { limit: Schema.Int }) {
  override get message() {
    return `there are already ${this.limit} active silences, the most NEXUS keeps: remove one (unsilence) or let one expire`
  }
}

export const Nexus = Protocol.make("NEXUS", [
  Protocol.message("report", {
    doc: "an explicit alert, correlated like the alerts agents raise (an info report clears the source's alerts about the subject)",
    access: "runtime",
    fields: {
      source: AgentName,
      subject: Subject,
      severity: AlertSeverity,
      summary: Summary,
      /** The finding's stable code, as on an agent's alert. */
      code: Schema.optionalKey(FindingCodeText)
    },
    reply: Schema.Struct({
      outcome: Schema.Literals(["opened", "joined", "inhibited", "deduplicated", "silenced", "recovered", "info"]),
      incident: Schema.optionalKey(Schema.String)
    })
  }),
  Protocol.message("incidents", {
    doc: "incidents, newest first: open ones only, or all kept (open defaults to true)",
    access: "read",
    fields: {
      open: Schema.optionalKey(Schema.Boolean)
    },
    reply: Schema.Struct({ incidents: Schema.Array(IncidentSummary), open: Schema.Int, kept: Schema.Int, feed: Feed })
  }),
  Protocol.message("incident", {
    doc: "one incident with its alerts",
    access: "read",
    fields: {
      id: Name
    },
    reply: Schema.Struct({ incident: IncidentSummary, alerts: Schema.Array(AlertView) }),
    rejections: [NoSuchIncident]
  }),
  Protocol.message("acknowledge", {
    doc: "records that an administrator has seen an incident (updates stop unless it gets worse); applied only with confirm",
    access: "operate",
    fields: {
      id: Name,
      confirm: Confirm
    },
    reply: Schema.Struct({ incident: IncidentSummary, applied: Schema.Boolean, plan: Schema.String }),
    rejections: [NoSuchIncident, IncidentResolved]
  }),
  Protocol.message("silence", {
    doc: "silences alerts matching agent, subject (with *) and severity until the expiry; applied only with confirm",
    access: "operate",
    fields: {
      agent: Schema.optionalKey(AgentName),
      subject: Schema.optionalKey(SubjectPattern),
      severity: Schema.optionalKey(AlertSeverity),
      reason: bounded(200, "a reason"),
      expiresInSeconds: SilenceSeconds,
      confirm: Confirm
    },
    reply: Schema.Struct({
      silence: SilenceView,
      applied: Schema.Boolean,
      /** What it would silence now: firing alerts it matches and their incidents. */
      matches: Schema.Struct({ firing: Schema.Int, incidents: Schema.Array(Schema.String) })
    }),
    rejections: [BadMatcher, TooManySilences]
  }),
  Protocol.message("silences", {
    doc: "the active silences",
    access: "read",
    reply: Schema.Struct({ silences: Schema.Array(SilenceView), expired: Schema.Int })
  }),
  Protocol.message("unsilence", {
    doc: "ends a silence before its expiry; applied only with confirm",
    access: "operate",
    fields: {
      id: Name,
      confirm: Confirm
    },
    reply: Schema.Struct({ silence: SilenceView, applied: Schema.Boolean }),
    rejections: [NoSuchSilence]
  })
])
