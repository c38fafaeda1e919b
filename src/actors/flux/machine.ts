/**
 * FLUX: automation rules. One fiber per incarnation holds a subscription to
 * the Alert and Incident events and waits for an event, a change made by a
 * message, the next cron time of a schedule rule, or the next reading of the
 * metric thresholds (only while a metric rule is enabled, at
 * `metricIntervalMs` >= 10 s) — nothing runs while nothing is due.
 *
 * A trigger whose condition holds starts a run according to the rule's mode,
 * as Home Assistant's automation modes do: single (ignored while running,
 * with a warning), restart (the running one is cancelled, a new one starts),
 * queued (in order, at most `max` running and queued; more are dropped with a
 * warning), parallel (at most `max` at once; more are dropped). A run sends
 * the action with `askAs` on behalf of the rule's owner (via "rule"): checked
 * against their rights and recorded in LEDGER as theirs, at every firing.
 *
 * The loop guard: an event from an agent a run reached (during the run or
 * `causeWindowMs` after it) carries the chain of rules that caused it; a rule
 * triggered by an event its own chain contains, or by a chain longer than
 * `maxChainDepth`, is stopped (FLUX-LOOP); so is a rule that fires more than
 * `loopMaxFirings` times in `loopWindowMs` (FLUX-STORM), whatever the cause.
 *
 * Rules live in the StateStore ("flux"); counters, outcomes and the ring of
 * recorded events live in memory.
 */
import { Clock, DateTime, Effect, Exit, Fiber, Option, Queue, Result, type Schema, Scope, Semaphore } from "effect"
import { StateStore } from "../../adapters/state/StateStore.ts"
import { MetricHistory } from "../../history/History.ts"
import { AgentEnv, type Capability } from "../../runtime/Agent.ts"
import { type Caller, DAEMON } from "../../runtime/Caller.ts"
import { nextRun } from "../shared/cron.ts"
import { serviceMachine } from "../shared/serve.ts"
import { FLUX_ACTION_DENIED, FLUX_LOOP, FLUX_STORM } from "./codes.ts"
import { FluxConfig, MIN_METRIC_INTERVAL_MS } from "./config.ts"
import { print, parse } from "./expr.ts"
import {
  type FluxEvent,
  Flux,
  InvalidRule,
  NoSuchRule,
  RuleExists,
  type RuleSpec,
  type RuleView,
  TooManyEvents,
  TooManyRules,
  type Trigger
} from "./messages.ts"
import {
  type CheckContext,
  type CompiledRule,
  compileRule,
  Crossings,
  decodeStored,
  describeEvent,
  dryRun,
  seriesMatches,
  STATE_KEY,
  type StoredRule
} from "./rules.ts"

export const fluxCapabilities: ReadonlyArray<Capability> = [
  {
    name: "rules",
    available: true,
    detail: "rules stored in the state directory: when an alert (by agent, severity, code), an incident (by state, severity), " +
      "a cron schedule or a metric crossing a threshold, if a condition in FLUX's expression language, do an agent message " +
      "or an APEX plan on the adder's behalf; enable, disable, dry-run against recorded or given events"
  },
  {
    name: "rule-engine",
    available: true,
    detail: "Home Assistant's modes (single, restart, queued, parallel with max); a loop guard that stops a rule its own action " +
      "triggers again (FLUX-LOOP) or that fires too often (FLUX-STORM); metric thresholds read only while a metric rule is enabled"
  }
]

type Status = "enabled" | "disabled" | "stopped"
type OutcomeResult = "succeeded" | "failed" | "cancelled" | "dropped"

interface Run {
  readonly id: number
  readonly chain: ReadonlyArray<string>
  readonly targets: ReadonlySet<string>
  readonly event: string
  fiber?: Fiber.Fiber<unknown, unknown> | undefined
  endedAt?: number | undefined
}

interface Pending {
  readonly event: FluxEvent
  readonly chain: ReadonlyArray<string>
}

interface Live {
  readonly compiled: CompiledRule
  readonly owner: Caller
  status: Status
  reason: string | undefined
  readonly running: Set<Run>
  queue: Array<Pending>
  firings: Array<number>
  lastFired: number | undefined
  dueAt: number | undefined
  readonly crossings: Crossings
  readonly counters: {
    triggered: number
    conditionFalse: number
    started: number
    succeeded: number
    failed: number
    dropped: number
    restarted: number
  }
  outcomes: Array<{ at: string; event: string; result: OutcomeResult; detail: string }>
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString())
const ownerText = (owner: Caller) => (owner.via === "daemon" ? "the daemon" : `uid ${owner.uid}`)
const short = (value: unknown) => {
  const text = value === undefined ? "ok" : JSON.stringify(value)
  return text.length > 300 ? text.slice(0, 299) + "…" : text
}

const triggerText = (when: Trigger): string => {
  switch (when.kind) {
    case "alert":
      return `an alert${when.agent === undefined ? "" : ` from ${when.agent}`}${when.severity === undefined ? "" : ` of severity ${when.severity}`}${when.code === undefined ? "" : ` with code ${when.code}`}`
    case "incident":
      return `an incident${when.state === undefined ? "" : ` ${when.state}`}${when.severity === undefined ? "" : ` of severity ${when.severity}`}`
    case "schedule":
      return `the schedule '${when.cron}'`
    case "metric":
      return `${when.metric}${(when.matchers ?? []).length === 0 ? "" : `{${(when.matchers ?? []).map((m) => `${m.label}${m.op}${JSON.stringify(m.value)}`).join(",")}}`} crossing ${when.op} ${when.value}`
  }
}

const resolveZone = (id: string | undefined): Effect.Effect<DateTime.TimeZone> => {
  if (id === undefined) return Effect.sync(DateTime.zoneMakeLocal)
  return Option.match(DateTime.zoneFromString(id), {
    onSome: Effect.succeed,
    onNone: () => Effect.as(Effect.logError(`FluxConfig.timeZone '${id}' is not a known time zone; using the local zone`), DateTime.zoneMakeLocal())
  })
}

/** An alert or incident on the inspection stream, as FLUX reads it. */
const fromInspection = (event: { readonly _tag: string } & Record<string, unknown>): FluxEvent | undefined => {
  if (event._tag === "Alert") {
    const e = event as unknown as { at: number; agent: string; severity: "info" | "warning" | "critical"; subject: string; text: string; code?: string }
    return { kind: "alert", at: e.at, agent: e.agent, severity: e.severity, subject: e.subject, text: e.text, ...(e.code === undefined ? {} : { code: e.code }) }
  }
  if (event._tag === "Incident") {
    const e = event as unknown as Omit<FluxEvent & { kind: "incident" }, "kind">
    return { kind: "incident", at: e.at ?? 0, agent: e.agent, id: e.id, state: e.state, severity: e.severity, subject: e.subject, title: e.title, alerts: e.alerts }
  }
  return undefined
}

export const fluxMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const store = yield* StateStore
  const history = yield* MetricHistory
  const config = yield* FluxConfig
  const clock = yield* Clock.Clock
  const now = () => clock.currentTimeMillisUnsafe()
  const scope = yield* Effect.scope
  const log = Effect.annotateLogs({ agent: env.self })
  const zone = yield* resolveZone(config.timeZone)
  const metricInterval = Math.max(MIN_METRIC_INTERVAL_MS, config.metricIntervalMs)
  const limits = { maxLength: config.maxExpressionLength, maxDepth: config.maxExpressionDepth }
  const check: CheckContext = { zone, limits, system: env.system }

  const rules: Array<Live> = []
  const ring: Array<FluxEvent> = []
  /** Alerts attributed to a run, kept a loop window: an incident NEXUS makes of them inherits their chain. */
  let attributed: Array<{ readonly at: number; readonly subject: string; readonly chain: ReadonlyArray<string> }> = []
  let recentRuns: Array<Run> = []
  let runIds = 0
  let lost = () => 0
  let nextMetricAt: number | undefined
  const lock = yield* Semaphore.make(1)
  const wake = yield* Queue.sliding<true>(1)

  const liveOf = (compiled: CompiledRule, owner: Caller, status: Status, reason: string | undefined): Live => ({
    compiled,
    owner,
    status,
    reason,
    running: new Set(),
    queue: [],
    firings: [],
    lastFired: undefined,
    dueAt: compiled.cron === undefined ? undefined : nextRun(compiled.cron, now()),
    crossings: new Crossings(),
    counters: { triggered: 0, conditionFalse: 0, started: 0, succeeded: 0, failed: 0, dropped: 0, restarted: 0 },
    outcomes: []
  })

  // ---- the kept rules ------------------------------------------------------------
  let persistEnabled = true
  const kept = yield* store.read(STATE_KEY).pipe(
    Effect.map(Option.getOrUndefined),
    Effect.catchTag("StateVersionTooNew", (error) =>
      Effect.as(
        Effect.sync(() => (persistEnabled = false)).pipe(Effect.andThen(log(Effect.logError(`${error.message}; FLUX runs without its rules and does not overwrite them`)))),
        undefined
      )),
    Effect.catch((error) => Effect.as(log(Effect.logWarning(`FLUX: the kept rules cannot be read (${error.message}); starting without them`)), undefined))
  )
  if (kept !== undefined) {
    const decoded = decodeStored(kept)
    if (Exit.isFailure(decoded)) {
      persistEnabled = false
      yield* log(Effect.logError("FLUX: the kept rules are not in a shape this release knows; FLUX runs without them and does not overwrite them"))
    } else {
      for (const stored of decoded.value.rules) {
        // Rights are checked at each firing; the message must still fit its agent's protocol.
        const compiled = compileRule(stored.spec, undefined, check)
        if (Result.isFailure(compiled)) {
          yield* log(Effect.logWarning(`FLUX: rule '${stored.spec.name}' is skipped: ${compiled.failure.message}`))
          continue
        }
        rules.push(liveOf(compiled.success, stored.owner, stored.status, stored.reason))
      }
    }
  }

  const persist = lock.withPermits(1)(Effect.suspend(() => {
    if (!persistEnabled) return Effect.void
    const document: { rules: Array<StoredRule> } = {
      rules: rules.map((r) => ({ spec: r.compiled.spec, owner: r.owner, status: r.status, ...(r.reason === undefined ? {} : { reason: r.reason }) }))
    }
    return store.write(STATE_KEY, document)
  })).pipe(Effect.catch((error) => log(Effect.logWarning(`FLUX: cannot keep the rules: ${error.message}`))))

  const view = (r: Live): RuleView => ({
    name: r.compiled.spec.name,
    when: r.compiled.spec.when,
    if: r.compiled.spec.if ?? null,
    do: r.compiled.spec.do,
    mode: r.compiled.spec.mode ?? "single",
    max: r.compiled.spec.max ?? 10,
    status: r.status,
    reason: r.reason ?? null,
    owner: ownerText(r.owner),
    running: r.running.size,
    queued: r.queue.length,
    lastFired: iso(r.lastFired),
    nextRun: r.status === "enabled" ? iso(r.dueAt) : null
  })

  const find = (name: string) => rules.find((r) => r.compiled.spec.name === name)
  const noSuch = (name: string) => new NoSuchRule({ name, known: rules.map((r) => r.compiled.spec.name) })

  const note = (r: Live, event: string, result: OutcomeResult, detail: string) => {
    r.outcomes.push({ at: new Date(now()).toISOString(), event, result, detail })
    if (r.outcomes.length > config.outcomesKept) r.outcomes.splice(0, r.outcomes.length - config.outcomesKept)
  }

  // ---- runs -------------------------------------------------------------------------
  /** Cancels a run and waits for it to end (its outcome says cancelled). */
  const interruptOne = (run: Run): Effect.Effect<void> => Effect.suspend(() => (run.fiber === undefined ? Effect.void : Fiber.interrupt(run.fiber)))

  const finish = (r: Live, run: Run): Effect.Effect<void> =>
    Effect.suspend(() => {
      r.running.delete(run)
      const at = now()
      run.endedAt = at
      // Kept only as long as an event could still be blamed on them.
      recentRuns = recentRuns.filter((old) => old.endedAt !== undefined && old.endedAt > at - config.causeWindowMs)
      recentRuns.push(run)
      const next = r.queue.shift()
      if (next !== undefined && r.status === "enabled" && r.running.size === 0) return launch(r, next.event, next.chain)
      return Effect.void
    })

  const launch = (r: Live, event: FluxEvent, chain: ReadonlyArray<string>): Effect.Effect<void> =>
    Effect.gen(function*() {
      const name = r.compiled.spec.name
      const described = describeEvent(event)
      const run: Run = { id: ++runIds, chain: [...chain, name], targets: r.compiled.targets, event: described }
      r.running.add(run)
      r.counters.started++
      r.lastFired = now()
      const { agent, message } = r.compiled.sends
      const caller: Caller = r.owner.via === "daemon" ? { ...DAEMON, via: "rule" } : { ...r.owner, via: "rule" }
      const action = env.system.askAs(caller, agent, message, { timeoutMs: config.actionTimeoutMs }).pipe(
        Effect.matchEffect({
          onSuccess: (reply) =>
            Effect.sync(() => {
              r.counters.succeeded++
              note(r, described, "succeeded", `${agent} '${message.type}': ${short(reply)}`)
            }),
          onFailure: (error) =>
            Effect.gen(function*() {
              r.counters.failed++
              note(r, described, "failed", `${agent} '${message.type}': ${error.message}`)
              yield* Effect.logWarning(`rule '${name}' could not send ${agent} '${message.type}': ${error.message}`)
              if (error._tag === "AccessDenied") {
                yield* env.alert({
                  severity: "warning",
                  subject: `rule ${name}`,
                  text: `rule '${name}' fired, but its action was refused: ${error.message}`,
                  code: FLUX_ACTION_DENIED
                })
              }
            })
        }),
        Effect.onInterrupt(() =>
          Effect.sync(() => {
            note(r, described, "cancelled", "cancelled before it finished")
          })
        ),
        Effect.ensuring(finish(r, run)),
        log
      )
      // Started at once, so a run cancelled right away (restart, remove) still records its end.
      run.fiber = yield* Effect.forkIn(action, scope, { startImmediately: true })
    })

  const drop = (r: Live, event: FluxEvent, why: string) =>
    Effect.gen(function*() {
      r.counters.dropped++
      note(r, describeEvent(event), "dropped", why)
      // Home Assistant's max_exceeded: a warning by default.
      yield* log(Effect.logWarning(`rule '${r.compiled.spec.name}': ${why}`))
    })

  const stop = (r: Live, reason: string, code: string) =>
    Effect.gen(function*() {
      r.status = "stopped"
      r.reason = reason
      r.queue = []
      yield* Effect.forEach([...r.running], interruptOne, { discard: true })
      yield* env.alert({ severity: "warning", subject: `rule ${r.compiled.spec.name}`, text: `rule '${r.compiled.spec.name}' was stopped: ${reason}`, code })
      yield* persist
    })

  /** A trigger met by an event: the condition, the loop guard, then the mode. */
  const consider = (r: Live, event: FluxEvent, chain: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const name = r.compiled.spec.name
      r.counters.triggered++
      if (r.compiled.condition !== undefined && !r.compiled.condition(event)) {
        r.counters.conditionFalse++
        return
      }
      if (chain.includes(name)) {
        return yield* stop(r, `loop: its action caused an event that triggered it again (${[...chain, name].join(" → ")})`, FLUX_LOOP)
      }
      if (chain.length >= config.maxChainDepth) {
        return yield* stop(r, `loop: a chain of ${chain.length + 1} rules causing each other (${[...chain, name].join(" → ")}); at most ${config.maxChainDepth} are allowed`, FLUX_LOOP)
      }
      const at = now()
      r.firings = r.firings.filter((t) => t > at - config.loopWindowMs)
      r.firings.push(at)
      if (r.firings.length > config.loopMaxFirings) {
        return yield* stop(r, `storm: it fired ${r.firings.length} times within ${config.loopWindowMs / 1000} s (at most ${config.loopMaxFirings})`, FLUX_STORM)
      }
      const mode = r.compiled.spec.mode ?? "single"
      const max = r.compiled.spec.max ?? 10
      switch (mode) {
        case "single":
          if (r.running.size > 0) return yield* drop(r, event, "already running (mode single): this trigger is ignored")
          return yield* launch(r, event, chain)
        case "restart":
          for (const run of [...r.running]) {
            r.counters.restarted++
            if (run.fiber !== undefined) yield* interruptOne(run)
          }
          return yield* launch(r, event, chain)
        case "queued":
          if (r.running.size + r.queue.length >= max) return yield* drop(r, event, `${max} runs already running or queued (mode queued, max ${max}): this trigger is dropped`)
          if (r.running.size === 0) return yield* launch(r, event, chain)
          r.queue.push({ event, chain })
          return
        case "parallel":
          if (r.running.size >= max) return yield* drop(r, event, `${max} runs already running (mode parallel, max ${max}): this trigger is dropped`)
          return yield* launch(r, event, chain)
      }
    })

  const record = (event: FluxEvent) => {
    ring.push(event)
    if (ring.length > config.ringSize) ring.splice(0, ring.length - config.ringSize)
  }

  /** The chain of rules whose runs caused this event, as far as FLUX can tell. */
  const causeOf = (event: FluxEvent): ReadonlyArray<string> => {
    const at = now()
    recentRuns = recentRuns.filter((run) => run.endedAt !== undefined && run.endedAt > at - config.causeWindowMs)
    attributed = attributed.filter((a) => a.at > at - config.loopWindowMs)
    let chain: ReadonlyArray<string> = []
    if (event.kind === "alert") {
      const active = rules.flatMap((r) => [...r.running])
      for (const run of [...active, ...recentRuns]) {
        if (run.targets.has(event.agent) && run.chain.length > chain.length) chain = run.chain
      }
      if (chain.length > 0) attributed.push({ at, subject: event.subject, chain })
    } else if (event.kind === "incident") {
      for (const a of attributed) {
        if ((a.subject === event.subject || a.subject.startsWith(event.subject) || event.subject.startsWith(a.subject)) && a.chain.length > chain.length) chain = a.chain
      }
    }
    return chain
  }

  const onEvent = (event: FluxEvent) =>
    Effect.gen(function*() {
      record(event)
      const chain = causeOf(event)
      for (const r of [...rules]) {
        if (r.status !== "enabled" || r.compiled.spec.when.kind === "metric" || r.compiled.spec.when.kind === "schedule") continue
        if (r.compiled.matches(event)) yield* consider(r, event, chain)
      }
    })

  // ---- schedules and thresholds ------------------------------------------------------
  const fireSchedules = Effect.gen(function*() {
    const at = now()
    for (const r of [...rules]) {
      if (r.status !== "enabled" || r.compiled.cron === undefined || r.dueAt === undefined || r.dueAt > at) continue
      r.dueAt = nextRun(r.compiled.cron, at)
      yield* consider(r, { kind: "schedule", at }, [])
    }
  })

  const metricRules = () => rules.filter((r) => r.status === "enabled" && r.compiled.spec.when.kind === "metric")

  const readThresholds = Effect.gen(function*() {
    const watching = metricRules()
    if (watching.length === 0) {
      nextMetricAt = undefined
      return
    }
    const at = now()
    if (nextMetricAt === undefined) nextMetricAt = at
    if (at < nextMetricAt) return
    nextMetricAt = at + metricInterval
    const names = [...new Set(watching.map((r) => (r.compiled.spec.when as Trigger & { kind: "metric" }).metric))]
    for (const name of names) {
      const samples = yield* history.latest(name)
      for (const sample of samples) {
        const event: FluxEvent = { kind: "metric", at: sample.at, name: sample.name, labels: { ...sample.labels }, value: sample.value }
        for (const r of watching) {
          if (!seriesMatches(r.compiled, event)) continue
          if (!r.crossings.crossed(event, r.compiled.matches(event))) continue
          record(event)
          yield* consider(r, event, [])
        }
      }
    }
  })

  const deadline = (): number | undefined => {
    const times: Array<number> = []
    for (const r of rules) if (r.status === "enabled" && r.dueAt !== undefined) times.push(r.dueAt)
    if (nextMetricAt !== undefined && metricRules().length > 0) times.push(nextMetricAt)
    return times.length === 0 ? undefined : Math.min(...times)
  }

  const changed = Effect.andThen(persist, Queue.offer(wake, true))

  // ---- the feed ---------------------------------------------------------------------
  const feedScope = yield* Scope.make()
  const subscriber = yield* Scope.provide(feedScope)(env.system.events({
    tags: ["Alert", "Incident"],
    label: { transport: "agent", who: env.self, topics: ["alerts", "incidents"] }
  }))
  lost = subscriber.lost

  const feed = Effect.gen(function*() {
    while (true) {
      yield* fireSchedules
      yield* readThresholds
      const due = deadline()
      const wait = due === undefined ? Effect.never : Effect.sleep(Math.max(0, due - now()))
      const event = yield* Effect.raceAll([
        subscriber.take,
        Effect.as(Queue.take(wake), undefined),
        Effect.as(wait, undefined)
      ])
      if (event === undefined) continue
      const flux = fromInspection(event as never)
      // FLUX's own alerts (the loop guard's) never trigger rules.
      if (flux === undefined || ("agent" in flux && flux.agent === env.self)) continue
      yield* onEvent(flux)
    }
  }).pipe(
    Effect.catchCause((cause) => Effect.logError(`FLUX: the event feed stopped: ${String(cause)}`)),
    Effect.ensuring(Scope.close(feedScope, Exit.void)),
    log
  )
  yield* Effect.forkIn(feed, scope)

  const planText = (spec: RuleSpec, owner: Caller, compiled: CompiledRule) => {
    const cond = spec.if === undefined ? "" : (() => {
      const parsed = parse(spec.if, limits)
      return parsed.ok ? ` if ${print(parsed.expr)}` : ""
    })()
    return `when ${triggerText(spec.when)}${cond} send ${compiled.sends.agent} ${JSON.stringify(compiled.sends.message)} ` +
      `on behalf of ${ownerText(owner)} (their right to send it is checked again each time it fires); mode ${spec.mode ?? "single"}, max ${spec.max ?? 10}`
  }

  return yield* serviceMachine(Flux, {
    handlers: {
      rules: () =>
        Effect.succeed({
          rules: rules.map(view),
          limits: { rules: config.maxRules, expressionLength: config.maxExpressionLength, expressionDepth: config.maxExpressionDepth, ring: config.ringSize },
          recorded: ring.length,
          lost: lost()
        }),
      rule: (request) =>
        Effect.gen(function*() {
          const r = find(request.name)
          if (r === undefined) return yield* Effect.fail(noSuch(request.name))
          return { rule: view(r), counters: { ...r.counters }, outcomes: r.outcomes.slice().reverse() }
        }),
      "add-rule": (request, context) =>
        Effect.gen(function*() {
          const { type: _, confirm, ...spec } = request
          if (find(spec.name) !== undefined) return yield* Effect.fail(new RuleExists({ name: spec.name }))
          if (rules.length >= config.maxRules) return yield* Effect.fail(new TooManyRules({ limit: config.maxRules }))
          // The action is the adder's: they must be allowed to send it now, and each time it fires.
          const owner = context.caller
          const compiled = compileRule(spec, owner, check)
          if (Result.isFailure(compiled)) return yield* Effect.fail(compiled.failure)
          const live = liveOf(compiled.success, owner, "enabled", undefined)
          const plan = `add rule '${spec.name}': ${planText(spec, owner, compiled.success)}`
          if (confirm !== true) return { applied: false, plan, rule: view(live) }
          rules.push(live)
          yield* changed
          return { applied: true, plan, rule: view(live) }
        }),
      "remove-rule": (request) =>
        Effect.gen(function*() {
          const r = find(request.name)
          if (r === undefined) return yield* Effect.fail(noSuch(request.name))
          const plan = `remove rule '${request.name}'` + (r.running.size + r.queue.length > 0 ? `, cancelling ${r.running.size} running and ${r.queue.length} queued runs` : "")
          if (request.confirm !== true) return { applied: false, plan, name: request.name }
          rules.splice(rules.indexOf(r), 1)
          r.queue = []
          r.status = "disabled"
          yield* Effect.forEach([...r.running], interruptOne, { discard: true })
          yield* changed
          return { applied: true, plan, name: request.name }
        }),
      enable: (request) =>
        Effect.gen(function*() {
          const r = find(request.name)
          if (r === undefined) return yield* Effect.fail(noSuch(request.name))
          const { agent, message } = r.compiled.sends
          const plan = r.status === "enabled"
            ? `rule '${request.name}' is already enabled`
            : `enable rule '${request.name}'${r.status === "stopped" ? ` (stopped: ${r.reason})` : ""}: it fires again, sending ${agent} '${message.type}' on behalf of ${ownerText(r.owner)}`
          if (request.confirm !== true || r.status === "enabled") return { applied: false, plan, rule: view(r) }
          const denied = env.system.permits(r.owner, agent, message.type)
          if (denied !== undefined) return yield* Effect.fail(denied)
          r.status = "enabled"
          r.reason = undefined
          r.firings = []
          r.crossings.clear()
          r.dueAt = r.compiled.cron === undefined ? undefined : nextRun(r.compiled.cron, now())
          yield* changed
          return { applied: true, plan, rule: view(r) }
        }),
      disable: (request) =>
        Effect.gen(function*() {
          const r = find(request.name)
          if (r === undefined) return yield* Effect.fail(noSuch(request.name))
          const plan = r.status === "disabled"
            ? `rule '${request.name}' is already disabled`
            : `disable rule '${request.name}': it fires no more until enabled` + (r.running.size > 0 ? `; ${r.running.size} running runs finish, ${r.queue.length} queued are dropped` : "")
          if (request.confirm !== true || r.status === "disabled") return { applied: false, plan, rule: view(r) }
          r.status = "disabled"
          r.reason = undefined
          r.queue = []
          yield* changed
          return { applied: true, plan, rule: view(r) }
        }),
      "test-rule": (request) =>
        Effect.gen(function*() {
          let compiled: CompiledRule
          if (request.rule !== undefined) {
            const made = compileRule(request.rule, undefined, check)
            if (Result.isFailure(made)) {
              const failure = made.failure
              // Without an owner nothing checks rights, so only an InvalidRule comes back.
              return yield* Effect.fail(failure._tag === "InvalidRule" ? failure : new InvalidRule({ name: request.rule.name, field: "do", reason: failure.message }))
            }
            compiled = made.success
          } else if (request.name !== undefined) {
            const r = find(request.name)
            if (r === undefined) return yield* Effect.fail(noSuch(request.name))
            compiled = r.compiled
          } else {
            return yield* Effect.fail(new InvalidRule({ name: "(none)", field: "name", reason: "give the name of a rule, or a draft rule" }))
          }
          const maxEvents = Math.max(1_000, config.ringSize)
          if (request.events !== undefined && request.events.length > maxEvents) return yield* Effect.fail(new TooManyEvents({ limit: maxEvents }))
          const events = request.events ?? ring.slice()
          const result = dryRun(compiled, events)
          return {
            rule: compiled.spec.name,
            source: request.events === undefined ? "recorded" as const : "given" as const,
            events: events.length,
            matches: result.matches.map((m) => ({ ...m, sends: m.sends as unknown as { agent: string; message: { readonly [key: string]: Schema.Json } } })),
            conditionFalse: result.conditionFalse
          }
        })
    }
  })
})
