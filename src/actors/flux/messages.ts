/**
 * FLUX's protocol: automation rules — *when* an event (an alert, an incident,
 * a cron schedule, a metric crossing a threshold) *if* a condition in FLUX's
 * expression language (expr.ts) *do* a message to an agent or an APEX plan,
 * on behalf of whoever added the rule (docs/automations.md).
 */
import { Schema } from "effect"
import { AccessDenied } from "../../runtime/Errors.ts"
import * as Protocol from "../../runtime/Protocol.ts"
import { AgentCall, AgentName, LabelMatcher, MetricName, Name } from "../shared/fields.ts"
import { FindingCodeText } from "../shared/findings.ts"
import { Plan } from "../shared/plan.ts"

export const AlertSeverity = Schema.Literals(["info", "warning", "critical"])
export const IncidentState = Schema.Literals(["opened", "updated", "acknowledged", "silenced", "resolved"])
export const ThresholdOp = Schema.Literals([">", ">=", "<", "<=", "==", "!="])
export type ThresholdOp = typeof ThresholdOp.Type

/** What starts a rule. */
export const Trigger = Schema.Union([
  Schema.Struct({
    kind: Schema.Literal("alert"),
    agent: Schema.optionalKey(AgentName),
    severity: Schema.optionalKey(AlertSeverity),
    code: Schema.optionalKey(FindingCodeText)
  }),
  Schema.Struct({
    kind: Schema.Literal("incident"),
    state: Schema.optionalKey(IncidentState),
    severity: Schema.optionalKey(AlertSeverity)
  }),
  Schema.Struct({
    kind: Schema.Literal("schedule"),
    /** five cron fields or an @ alias, as ORBIT reads them */
    cron: Schema.String.check(Schema.isMaxLength(200))
  }),
  Schema.Struct({
    kind: Schema.Literal("metric"),
    metric: MetricName,
    matchers: Schema.optionalKey(Schema.Array(LabelMatcher).check(Schema.isMaxLength(16))),
    op: ThresholdOp,
    value: Schema.Finite
  })
])
export type Trigger = typeof Trigger.Type

/** What a rule does: one message to an agent, or a plan handed to APEX `run` with confirm. */
export const Action = Schema.Union([AgentCall, Schema.Struct({ plan: Plan })])
export type Action = typeof Action.Type

export const Mode = Schema.Literals(["single", "restart", "queued", "parallel"])
export type Mode = typeof Mode.Type

/** Runs executing and/or queued at once (Home Assistant's `max`, default 10). */
export const MaxRuns = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 100 }, { expected: "a whole number from 1 to 100" }))

export const RuleFields = {
  name: Name,
  when: Trigger,
  /** a condition on the event, e.g. event.severity == "critical" and event.agent in ["ORACLE", "LATTICE"] */
  if: Schema.optionalKey(Schema.String),
  do: Action,
  mode: Schema.optionalKey(Mode),
  max: Schema.optionalKey(MaxRuns)
}
export const RuleSpec = Schema.Struct(RuleFields)
export type RuleSpec = typeof RuleSpec.Type

const Confirm = Schema.optionalKey(Schema.Boolean)
const IsoTime = Schema.String

export const RuleStatus = Schema.Literals(["enabled", "disabled", "stopped"])

export const RuleView = Schema.Struct({
  name: Schema.String,
  when: Trigger,
  if: Schema.NullOr(Schema.String),
  do: Action,
  mode: Mode,
  max: Schema.Int,
  /** stopped: the loop guard stopped it (`reason` says why); `enable` starts it again */
  status: RuleStatus,
  reason: Schema.NullOr(Schema.String),
  /** whose request its action is, checked again at each firing: "uid 1000" */
  owner: Schema.String,
  running: Schema.Int,
  queued: Schema.Int,
  lastFired: Schema.NullOr(IsoTime),
  /** for a schedule: the next run */
  nextRun: Schema.NullOr(IsoTime)
})
export type RuleView = typeof RuleView.Type

export const Counters = Schema.Struct({
  /** events of the rule's kind that matched the trigger */
  triggered: Schema.Int,
  /** ... of which the condition was false */
  conditionFalse: Schema.Int,
  started: Schema.Int,
  succeeded: Schema.Int,
  failed: Schema.Int,
  /** single: a trigger while running; queued/parallel: beyond max (Home Assistant's max_exceeded) */
  dropped: Schema.Int,
  /** restart: runs cancelled by a new trigger */
  restarted: Schema.Int
})

export const Outcome = Schema.Struct({
  at: IsoTime,
  /** what fired it: "alert ORACLE critical /dev/sdb", "schedule", "metric … = 93" */
  event: Schema.String,
  result: Schema.Literals(["succeeded", "failed", "cancelled", "dropped"]),
  detail: Schema.String
})

export const Sent = Schema.Struct({ agent: Schema.String, message: Schema.Record(Schema.String, Schema.Json) })

/** An event as FLUX records it (its ring) and as `test-rule` takes it. */
export const FluxEvent = Schema.Union([
  Schema.Struct({
    kind: Schema.Literal("alert"),
    at: Schema.optionalKey(Schema.Number),
    agent: Schema.String,
    severity: AlertSeverity,
    subject: Schema.String,
    text: Schema.String,
    code: Schema.optionalKey(Schema.String)
  }),
  Schema.Struct({
    kind: Schema.Literal("incident"),
    at: Schema.optionalKey(Schema.Number),
    agent: Schema.String,
    id: Schema.String,
    state: IncidentState,
    severity: AlertSeverity,
    subject: Schema.String,
    title: Schema.String,
    alerts: Schema.Number
  }),
  Schema.Struct({
    kind: Schema.Literal("metric"),
    at: Schema.optionalKey(Schema.Number),
    name: Schema.String,
    labels: Schema.Record(Schema.String, Schema.String),
    value: Schema.Number
  }),
  Schema.Struct({
    kind: Schema.Literal("schedule"),
    at: Schema.optionalKey(Schema.Number)
  })
])
export type FluxEvent = typeof FluxEvent.Type

export class RuleExists extends Schema.TaggedError<RuleExists>()("RuleExists", { name: Schema.String }) {
  override get message() {
    return `a rule named '${this.name}' already exists; remove it first to replace it`
  }
}

export class NoSuchRule extends Schema.TaggedError<NoSuchRule>()("NoSuchRule", {
  name: Schema.String,
  known: Schema.Array(Schema.String)
}) {
  override get message() {
    return `no rule named '${this.name}'; rules: ${this.known.join(", ") || "none"}`
  }
}

/** A rule FLUX cannot take: the field at fault (`when.cron`, `if`, `do.message`, `do.plan.tasks[2]`) and why. */
export class InvalidRule extends Schema.TaggedError<InvalidRule>()("InvalidRule", {
  name: Schema.String,
  field: Schema.String,
  reason: Schema.String,
  /** for `if`: the 0-based character where it went wrong */
  position: Schema.optionalKey(Schema.Int)
}) {
  override get message() {
    return `rule '${this.name}': ${this.field} ${this.position === undefined ? "" : `at ${this.position} `}is invalid: ${this.reason}`
  }
}

export class TooManyRules extends Schema.TaggedError<TooManyRules>()("TooManyRules", { limit: Schema.Int }) {
  override get message() {
    return `FLUX holds at most ${this.limit} rules (flux_max_rules); remove one first`
  }
}

export class TooManyEvents extends Schema.TaggedError<TooManyEvents>()("TooManyEvents", { limit: Schema.Int }) {
  override get message() {
    return `test-rule takes at most ${this.limit} events`
  }
}

const Applied = { applied: Schema.Boolean, plan: Schema.String }

export const Flux = Protocol.make("FLUX", [
  Protocol.message("rules", {
    doc: "the automation rules with their status, runs and last firing",
    access: "read",
    reply: Schema.Struct({
      rules: Schema.Array(RuleView),
      limits: Schema.Struct({ rules: Schema.Int, expressionLength: Schema.Int, expressionDepth: Schema.Int, ring: Schema.Int }),
      /** events FLUX keeps for test-rule, and events its subscription lost */
      recorded: Schema.Int,
      lost: Schema.Int
    })
  }),
  Protocol.message("rule", {
    doc: "one rule: its status, last firing, recent outcomes and counters",
    access: "read",
    fields: { name: Name },
    reply: Schema.Struct({ rule: RuleView, counters: Counters, outcomes: Schema.Array(Outcome) }),
    rejections: [NoSuchRule]
  }),
  Protocol.message("add-rule", {
    doc: "adds a rule: when EVENT if CONDITION do a message or an APEX plan, on the adder's behalf (they must be allowed to send it, " +
      "now and each time it fires); without confirm it answers the plan",
    access: "admin",
    fields: { ...RuleFields, confirm: Confirm },
    reply: Schema.Struct({ ...Applied, rule: RuleView }),
    rejections: [RuleExists, InvalidRule, TooManyRules, AccessDenied]
  }),
  Protocol.message("remove-rule", {
    doc: "removes a rule, cancelling its runs; without confirm it answers the plan",
    access: "admin",
    fields: { name: Name, confirm: Confirm },
    reply: Schema.Struct({ ...Applied, name: Schema.String }),
    rejections: [NoSuchRule]
  }),
  Protocol.message("enable", {
    doc: "enables a rule (also one the loop guard stopped); without confirm it answers the plan",
    access: "admin",
    fields: { name: Name, confirm: Confirm },
    reply: Schema.Struct({ ...Applied, rule: RuleView }),
    rejections: [NoSuchRule, AccessDenied]
  }),
  Protocol.message("disable", {
    doc: "disables a rule: it keeps its place, and fires no more until enabled; without confirm it answers the plan",
    access: "admin",
    fields: { name: Name, confirm: Confirm },
    reply: Schema.Struct({ ...Applied, rule: RuleView }),
    rejections: [NoSuchRule]
  }),
  Protocol.message("test-rule", {
    doc: "dry-run: a rule (by name) or a draft against the events FLUX recorded, or events given; says which would have triggered " +
      "and what it would have sent; sends nothing",
    access: "read",
    fields: {
      name: Schema.optionalKey(Name),
      rule: Schema.optionalKey(RuleSpec),
      events: Schema.optionalKey(Schema.Array(FluxEvent))
    },
    reply: Schema.Struct({
      rule: Schema.String,
      source: Schema.Literals(["recorded", "given"]),
      events: Schema.Int,
      matches: Schema.Array(Schema.Struct({ index: Schema.Int, event: Schema.String, sends: Sent })),
      /** events that met the trigger but not the condition */
      conditionFalse: Schema.Array(Schema.Int)
    }),
    rejections: [NoSuchRule, InvalidRule, TooManyEvents]
  })
])
