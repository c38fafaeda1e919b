/**
 * FLUX's rules as data and as compiled predicates: checking a rule (its
 * condition, its cron expression, its matchers, its action against the
 * target's protocol and the owner's rights), matching events against
 * triggers (a metric fires when a series crosses its threshold, as Home
 * Assistant's numeric_state trigger does), and the dry-run over a list of
 * events. Pure: the machine owns the clock, the runs and the state.
 */
import { type Cron, type DateTime, Exit, Result, Schema } from "effect"
import { compileMatchers, seriesId } from "../../history/History.ts"
import type { AgentMessage, SystemHandle } from "../../runtime/Agent.ts"
import type { Caller } from "../../runtime/Caller.ts"
import type { AccessDenied } from "../../runtime/Errors.ts"
import { Caller as CallerSchema } from "../../runtime/Caller.ts"
import { parse as parseCron } from "../shared/cron.ts"
import { compile, type Limits, parse } from "./expr.ts"
import { type Action, type FluxEvent, InvalidRule, type RuleSpec, RuleSpec as RuleSpecSchema, type ThresholdOp, type Trigger } from "./messages.ts"

export interface CompiledRule {
  readonly spec: RuleSpec
  readonly condition: ((event: Readonly<Record<string, unknown>>) => boolean) | undefined
  /** the trigger, without the crossing of a metric threshold (see `Crossings`) */
  readonly matches: (event: FluxEvent) => boolean
  readonly cron: Cron.Cron | undefined
  /** agents its action reaches: the loop guard attributes their events to its runs */
  readonly targets: ReadonlySet<string>
  readonly sends: { readonly agent: string; readonly message: AgentMessage }
}

const compareWith = (op: ThresholdOp, threshold: number) => (value: number): boolean => {
  switch (op) {
    case ">":
      return value > threshold
    case ">=":
      return value >= threshold
    case "<":
      return value < threshold
    case "<=":
      return value <= threshold
    case "==":
      return value === threshold
    case "!=":
      return value !== threshold
  }
}

/** The message the action sends: a plan goes to APEX `run` with confirm. */
export const sendsOf = (action: Action): { readonly agent: string; readonly message: AgentMessage } =>
  "plan" in action
    ? { agent: "APEX", message: { type: "run", ...action.plan, confirm: true } }
    : { agent: action.agent, message: action.message }

const targetsOf = (action: Action): ReadonlySet<string> =>
  "plan" in action ? new Set(["APEX", ...action.plan.tasks.map((t) => t.agent)]) : new Set([action.agent])

const matcherOf = (trigger: Trigger, name: string): Result.Result<(event: FluxEvent) => boolean, InvalidRule> => {
  switch (trigger.kind) {
    case "alert":
      return Result.succeed((e) =>
        e.kind === "alert" && (trigger.agent === undefined || e.agent === trigger.agent) &&
        (trigger.severity === undefined || e.severity === trigger.severity) && (trigger.code === undefined || e.code === trigger.code)
      )
    case "incident":
      return Result.succeed((e) =>
        e.kind === "incident" && (trigger.state === undefined || e.state === trigger.state) &&
        (trigger.severity === undefined || e.severity === trigger.severity)
      )
    case "schedule":
      return Result.succeed((e) => e.kind === "schedule")
    case "metric": {
      const labels = compileMatchers(trigger.matchers)
      if (typeof labels !== "function") return Result.fail(new InvalidRule({ name, field: `when.${labels.field}`, reason: labels.reason }))
      const passes = compareWith(trigger.op, trigger.value)
      return Result.succeed((e) => e.kind === "metric" && e.name === trigger.metric && labels(e.labels) && passes(e.value))
    }
  }
}

export interface CheckContext {
  readonly zone: DateTime.TimeZone
  readonly limits: Limits
  readonly system: Pick<SystemHandle, "validate" | "permits">
}

const invalidMessage = (exit: Exit.Exit<unknown, { readonly message: string }>): string | undefined =>
  Exit.isSuccess(exit) ? undefined : exit.cause.reasons.map((r) => ("error" in r ? (r.error as { message: string }).message : String(r))).join("; ")

/**
 * Checks a rule and compiles it. `owner` is who the action runs for: they must be allowed to send it
 * (every task of a plan, and APEX `run`); undefined skips that check (a dry-run of a draft).
 */
export const compileRule = (
  spec: RuleSpec,
  owner: Caller | undefined,
  context: CheckContext
): Result.Result<CompiledRule, InvalidRule | AccessDenied> => {
  const name = spec.name
  const invalid = (field: string, reason: string, position?: number) =>
    Result.fail(new InvalidRule({ name, field, reason, ...(position === undefined ? {} : { position }) }))
  let condition: CompiledRule["condition"]
  if (spec.if !== undefined) {
    const parsed = parse(spec.if, context.limits)
    if (!parsed.ok) return invalid("if", `expected ${parsed.error.expected}, found ${parsed.error.found}`, parsed.error.position)
    condition = compile(parsed.expr)
  }
  let cron: Cron.Cron | undefined
  if (spec.when.kind === "schedule") {
    const parsed = parseCron(spec.when.cron, context.zone)
    if (Result.isFailure(parsed)) return invalid("when.cron", parsed.failure.reason)
    cron = parsed.success
  }
  const matches = matcherOf(spec.when, name)
  if (Result.isFailure(matches)) return Result.fail(matches.failure)
  const action = spec.do
  const sends = sendsOf(action)
  const checks: Array<{ readonly field: string; readonly agent: string; readonly message: AgentMessage }> = []
  if ("plan" in action) {
    const ids = new Set<string>()
    for (const [i, task] of action.plan.tasks.entries()) {
      if (ids.has(task.id)) return invalid(`do.plan.tasks[${i}].id`, `'${task.id}' is used twice`)
      ids.add(task.id)
    }
    for (const [i, task] of action.plan.tasks.entries()) {
      const unknown = (task.after ?? []).find((id) => !ids.has(id))
      if (unknown !== undefined) return invalid(`do.plan.tasks[${i}].after`, `no task '${unknown}' in the plan`)
      checks.push({ field: `do.plan.tasks[${i}]`, agent: task.agent, message: task.message })
    }
    // APEX's own check of the plan (without confirm: that is how FLUX sends it, at each firing).
    checks.push({ field: "do.plan", agent: "APEX", message: { type: "run", ...action.plan } })
  } else {
    checks.push({ field: "do.message", agent: action.agent, message: action.message })
  }
  for (const check of checks) {
    const reason = invalidMessage(context.system.validate(check.agent, check.message))
    if (reason !== undefined) return invalid(check.field, reason)
  }
  if (owner !== undefined) {
    for (const check of checks) {
      const denied = context.system.permits(owner, check.agent, check.message.type)
      if (denied !== undefined) return Result.fail(denied)
    }
  }
  return Result.succeed({ spec, condition, matches: matches.success, cron, targets: targetsOf(action), sends })
}

/**
 * A metric rule fires when a series goes from not meeting the threshold to meeting it. Live, a series'
 * first reading only arms it (Home Assistant's numeric_state); in a dry-run (`firstCounts`) the events
 * are what FLUX recorded — crossings — or a list someone wrote, so a first reading that meets it counts.
 */
export class Crossings {
  private readonly last = new Map<string, boolean>()
  constructor(private readonly firstCounts = false) {}
  /** True when this reading crosses into the threshold. */
  crossed(event: FluxEvent & { readonly kind: "metric" }, meets: boolean): boolean {
    const id = seriesId(event.name, event.labels)
    const before = this.last.get(id)
    this.last.set(id, meets)
    return meets && (before === false || (before === undefined && this.firstCounts))
  }
  clear() {
    this.last.clear()
  }
}

/** The metric part of the trigger without the threshold: the right series. */
export const seriesMatches = (rule: CompiledRule, event: FluxEvent): boolean => {
  const when = rule.spec.when
  if (when.kind !== "metric" || event.kind !== "metric" || event.name !== when.metric) return false
  const labels = compileMatchers(when.matchers)
  return typeof labels === "function" && labels(event.labels)
}

/** One line: what happened. */
export const describeEvent = (event: FluxEvent): string => {
  switch (event.kind) {
    case "alert":
      return `alert ${event.agent} ${event.severity} ${event.subject}${event.code === undefined ? "" : ` [${event.code}]`}: ${event.text}`.slice(0, 300)
    case "incident":
      return `incident ${event.id} ${event.state} ${event.severity} ${event.subject}`.slice(0, 300)
    case "metric":
      return `metric ${event.name}${JSON.stringify(event.labels)} = ${event.value}`.slice(0, 300)
    case "schedule":
      return "schedule"
  }
}

export interface DryRun {
  readonly matches: Array<{ readonly index: number; readonly event: string; readonly sends: { readonly agent: string; readonly message: AgentMessage } }>
  readonly conditionFalse: Array<number>
}

/** Replays events against a rule, in order: which would have fired it, and what it would have sent. Sends nothing. */
export const dryRun = (rule: CompiledRule, events: ReadonlyArray<FluxEvent>): DryRun => {
  const out: DryRun = { matches: [], conditionFalse: [] }
  const crossings = new Crossings(true)
  for (const [index, event] of events.entries()) {
    let triggered: boolean
    if (rule.spec.when.kind === "metric" && event.kind === "metric") {
      if (!seriesMatches(rule, event)) continue
      triggered = crossings.crossed(event, rule.matches(event))
    } else {
      triggered = rule.matches(event)
    }
    if (!triggered) continue
    if (rule.condition !== undefined && !rule.condition(event)) {
      out.conditionFalse.push(index)
      continue
    }
    out.matches.push({ index, event: describeEvent(event), sends: rule.sends })
  }
  return out
}

// ---- persistence --------------------------------------------------------------

export const STATE_KEY = "flux"

export const StoredRule = Schema.Struct({
  spec: RuleSpecSchema,
  owner: CallerSchema,
  status: Schema.Literals(["enabled", "disabled", "stopped"]),
  reason: Schema.optionalKey(Schema.String)
})
export type StoredRule = typeof StoredRule.Type

export const Stored = Schema.Struct({ rules: Schema.Array(StoredRule) })
export const decodeStored = Schema.decodeUnknownExit(Stored)
