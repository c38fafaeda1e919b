/**
 * FLUX as an agent: recorded event streams replayed through the inspection
 * stream, each mode against Home Assistant's documented behaviour
 * (https://www.home-assistant.io/docs/automation/modes/), the loop guard,
 * the owner's rights (checked when the rule is added and at each firing),
 * the dry-run, schedules and metric thresholds on the TestClock, and rules
 * kept across a restart.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger, Schema } from "effect"
import { TestClock } from "effect/testing"
import { StateStore } from "../../../src/adapters/state/StateStore.ts"
import * as StateStoreTest from "../../../src/adapters/state/StateStoreTest.ts"
import { codes } from "../../../src/actors/flux/codes.ts"
import { FluxConfig, type FluxConfigShape, fluxAgent } from "../../../src/actors/flux/index.ts"
import { defaultFluxConfig } from "../../../src/actors/flux/config.ts"
import type { FluxEvent } from "../../../src/actors/flux/messages.ts"
import { Flux } from "../../../src/actors/flux/messages.ts"
import { serviceMachine } from "../../../src/actors/shared/serve.ts"
import { Plan } from "../../../src/actors/shared/plan.ts"
import { makePolicy, type Policy } from "../../../src/access/Policy.ts"
import { MetricHistory } from "../../../src/history/History.ts"
import * as HistoryTest from "../../../src/history/HistoryTest.ts"
import * as ActorSystem from "../../../src/runtime/ActorSystem.ts"
import { AgentEnv, type AgentDefinition, define } from "../../../src/runtime/Agent.ts"
import type { Caller } from "../../../src/runtime/Caller.ts"
import type { AuditedRequest, Gate } from "../../../src/runtime/Gate.ts"
import type { InspectionEvent } from "../../../src/runtime/Inspection.ts"
import * as Protocol from "../../../src/runtime/Protocol.ts"
import { Ack } from "../../../src/runtime/Status.ts"
import { counterAgent, decodedReply, fastBackoff, generous, ROOT, watch } from "../../support/agents.ts"

// ---- small agents FLUX's rules talk to ------------------------------------------------

/** Raises an alert of its own when told (a rule's action that causes an event), and has a message only the daemon may send. */
const alarmAgent = (name: string): AgentDefinition => {
  const protocol = Protocol.make(name, [
    Protocol.message("raise", { doc: "raises an alert", access: "operate", fields: { subject: Schema.String }, reply: Ack }),
    Protocol.message("forge", { doc: "only the daemon", access: "runtime", reply: Ack })
  ])
  return define({
    protocol,
    tier: "5-8",
    description: `test alarm ${name}`,
    capabilities: [{ name: "alarm", available: true, detail: "raises alerts" }],
    machine: Effect.gen(function*() {
      const env = yield* AgentEnv
      return yield* serviceMachine(protocol, {
        handlers: {
          raise: (request) => Effect.as(env.alert({ severity: "warning", subject: request.subject, text: `raised on request` }), { type: "ack" as const, state: "ready" }),
          forge: () => Effect.succeed({ type: "ack" as const, state: "ready" })
        }
      })
    })
  })
}

/** Stands in for APEX (built on another branch): takes `run` with a plan and confirm, remembers what it was given. */
const apexRuns: Array<unknown> = []
const fakeApex: AgentDefinition = (() => {
  const protocol = Protocol.make("APEX", [
    Protocol.message("run", {
      doc: "runs a plan",
      access: "operate",
      fields: { ...Plan.fields, confirm: Schema.optionalKey(Schema.Boolean) },
      reply: Schema.Struct({ id: Schema.String, state: Schema.String })
    })
  ])
  return define({
    protocol,
    tier: "1",
    description: "fake APEX",
    capabilities: [{ name: "plans", available: true, detail: "fake" }],
    machine: serviceMachine(protocol, {
      handlers: { run: (request) => Effect.sync(() => (apexRuns.push(request), { id: `plan-${apexRuns.length}`, state: "running" })) }
    })
  })
})()

// ---- the system ------------------------------------------------------------------------

const START = Date.parse("2024-03-10T10:00:00Z")

const boot = (options: { readonly gate?: Gate; readonly config?: Partial<FluxConfigShape> } = {}) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(START)
    const root: ActorSystem.SupervisorNode<StateStore | MetricHistory> = {
      name: "root",
      strategy: "one_for_one",
      intensity: generous,
      backoff: fastBackoff,
      children: [counterAgent("COUNTER"), alarmAgent("ALARM"), alarmAgent("BELL"), fakeApex, fluxAgent]
    }
    const system = yield* ActorSystem.make({ root, ...(options.gate === undefined ? {} : { gate: options.gate }) })
    const events = yield* watch(system)
    const ask = (message: Record<string, unknown> & { type: string }, caller: Caller = ROOT) => system.injectAsk(caller, "FLUX", message)
    const reply = <T extends string>(type: T, wire: unknown) => decodedReply(Flux.get(type)!, wire) as never
    const rule = (name: string) => Effect.map(ask({ type: "rule", name }), (wire) => reply("rule", wire) as { rule: { status: string; reason: string | null; running: number; queued: number; nextRun: string | null }; counters: Record<string, number>; outcomes: Array<{ at: string; result: string; detail: string; event: string }> })
    const count = Effect.map(system.ask("COUNTER", { type: "get" }), (n) => n as number)
    const add = (spec: Record<string, unknown>, caller: Caller = ROOT) => ask({ type: "add-rule", confirm: true, ...spec }, caller)
    const publish = (event: FluxEvent) =>
      system.inspection.publish(
        event.kind === "alert"
          ? { _tag: "Alert", agent: event.agent, severity: event.severity, subject: event.subject, text: event.text, ...(event.code === undefined ? {} : { code: event.code }) }
          : event.kind === "incident"
          ? { _tag: "Incident", agent: event.agent, id: event.id, state: event.state, severity: event.severity, subject: event.subject, title: event.title, alerts: event.alerts }
          : (() => {
            throw new Error("only alerts and incidents go on the inspection stream")
          })()
      )
    /** Waits (without the clock moving) until FLUX's view of a rule passes the check. */
    const until = (name: string, check: (view: Effect.Success<ReturnType<typeof rule>>) => boolean) =>
      Effect.gen(function*() {
        for (let i = 0; i < 2_000; i++) {
          const view = yield* rule(name)
          if (check(view)) return view
          yield* Effect.yieldNow
        }
        const view = yield* rule(name)
        return assert.fail(`rule '${name}' never got there: ${JSON.stringify(view)}`)
      })
    return { system, events, ask, rule, count, add, publish, until }
  }).pipe(Effect.provideService(FluxConfig, { ...defaultFluxConfig, timeZone: "UTC", ...options.config }))

const layers = () => Layer.mergeAll(StateStoreTest.layer(), HistoryTest.layer())

const alert = (agent: string, severity: "info" | "warning" | "critical", subject: string, code?: string): FluxEvent => ({
  kind: "alert",
  agent,
  severity,
  subject,
  text: `${subject} needs attention`,
  ...(code === undefined ? {} : { code })
})
const incident = (id: string, state: "opened" | "updated" | "resolved", severity: "warning" | "critical", subject: string): FluxEvent => ({
  kind: "incident",
  agent: "NEXUS",
  id,
  state,
  severity,
  subject,
  title: `${subject} is in trouble`,
  alerts: 1
})

const inc = { agent: "COUNTER", message: { type: "inc" } }
const sleep = (ms: number) => ({ agent: "COUNTER", message: { type: "sleep", ms } })
const alertsAbout = (events: { seen: ReadonlyArray<InspectionEvent> }, code: string) =>
  events.seen.filter((e): e is Extract<InspectionEvent, { _tag: "Alert" }> => e._tag === "Alert" && e.code === code)

/** A stream as it came off a NAS one bad afternoon: alerts from several agents and the incidents NEXUS made of them. */
const recorded: ReadonlyArray<FluxEvent> = [
  alert("LATTICE", "info", "pool tank", "ZFS-SCRUB-DONE"),
  alert("ORACLE", "warning", "/dev/sdb", "SMART-197"),
  incident("inc-1", "opened", "warning", "disk /dev/sdb"),
  alert("ORACLE", "critical", "/dev/sdb", "SMART-5"),
  incident("inc-1", "updated", "critical", "disk /dev/sdb"),
  alert("HELIX", "critical", "snapshots of tank/photos"),
  alert("LATTICE", "critical", "pool tank", "ZFS-8000-9P"),
  incident("inc-2", "opened", "critical", "pool tank"),
  alert("PHOTON", "warning", "link eth0"),
  incident("inc-1", "resolved", "critical", "disk /dev/sdb"),
  alert("ORACLE", "info", "/dev/sdb")
]

describe("FLUX", () => {
  it("lists its codes for MENTOR", () => {
    assert.deepStrictEqual(codes.map((c) => c.code), ["FLUX-LOOP", "FLUX-STORM", "FLUX-ACTION-DENIED"])
  })

  it.effect("replays a recorded stream: each rule fires on the events its trigger and condition select, as test-rule predicted", () =>
    Effect.gen(function*() {
      const { ask, add, publish, until, count } = yield* boot()
      const rules = [
        { name: "storage-critical", when: { kind: "alert", severity: "critical" }, if: "event.agent in [\"ORACLE\", \"LATTICE\"]", do: inc, mode: "parallel" },
        { name: "smart", when: { kind: "alert", agent: "ORACLE" }, if: "event.code matches \"^SMART-\"", do: inc, mode: "parallel" },
        { name: "opened", when: { kind: "incident", state: "opened" }, if: "event.severity == \"critical\" or event.subject matches \"^disk \"", do: inc, mode: "parallel" }
      ]
      const predicted: Record<string, ReadonlyArray<number>> = {}
      for (const r of rules) {
        const dry = (yield* ask({ type: "test-rule", rule: r, events: recorded })) as { matches: Array<{ index: number }>; source: string }
        assert.strictEqual(dry.source, "given")
        predicted[r.name] = dry.matches.map((m) => m.index)
        yield* add(r)
      }
      assert.deepStrictEqual(predicted, { "storage-critical": [3, 6], smart: [1, 3], opened: [2, 7] })
      assert.strictEqual(yield* count, 0, "a dry-run sends nothing")

      for (const event of recorded) yield* publish(event)
      for (const r of rules) {
        const view = yield* until(r.name, (v) => v.counters.succeeded === predicted[r.name]!.length)
        assert.strictEqual(view.counters.started, predicted[r.name]!.length)
      }
      assert.strictEqual(yield* count, 6)
      // The same stream is now FLUX's record: a dry-run of a saved rule against it predicts the same.
      const again = (yield* ask({ type: "test-rule", name: "smart" })) as { source: string; events: number; matches: Array<{ index: number; sends: unknown }> }
      assert.strictEqual(again.source, "recorded")
      assert.strictEqual(again.events, recorded.length)
      assert.deepStrictEqual(again.matches.map((m) => m.index), [1, 3])
      assert.deepStrictEqual(again.matches[0]!.sends, inc)
      assert.strictEqual(yield* count, 6)
    }).pipe(Effect.scoped, Effect.provide(layers())))

  it.effect("add-rule plans without confirm, refuses bad rules naming the field, and keeps rules across a restart", () =>
    Effect.gen(function*() {
      const first = yield* boot()
      const planned = (yield* first.ask({ type: "add-rule", name: "nightly", when: { kind: "schedule", cron: "0 3 * * *" }, do: inc })) as { applied: boolean; plan: string }
      assert.isFalse(planned.applied)
      assert.strictEqual(planned.plan, "add rule 'nightly': when the schedule '0 3 * * *' send COUNTER {\"type\":\"inc\"} on behalf of uid 0 (their right to send it is checked again each time it fires); mode single, max 10")
      assert.deepStrictEqual(((yield* first.ask({ type: "rules" })) as { rules: Array<unknown> }).rules, [])

      const refusal = (spec: Record<string, unknown>) =>
        Effect.map(Effect.flip(first.add({ name: "bad", when: { kind: "alert" }, do: inc, ...spec })), (e) => e.message)
      assert.include(yield* refusal({ if: "event.severity ==" }), "rule 'bad': if at 17 is invalid: expected a value")
      assert.include(yield* refusal({ when: { kind: "schedule", cron: "61 * * * *" } }), "rule 'bad': when.cron is invalid: minute field '61'")
      assert.include(yield* refusal({ do: { agent: "COUNTER", message: { type: "explode" } } }), "rule 'bad': do.message is invalid: invalid message for COUNTER: unknown message type 'explode'")
      assert.include(yield* refusal({ do: { agent: "NOBODY", message: { type: "x" } } }), "do.message is invalid: unknown agent 'NOBODY'")
      assert.include(yield* refusal({ do: { plan: { goal: "g", tasks: [{ id: "a", agent: "COUNTER", message: { type: "inc" }, after: ["b"] }] } } }), "do.plan.tasks[0].after is invalid: no task 'b' in the plan")
      assert.include(yield* refusal({ when: { kind: "metric", metric: "x", op: ">", value: 1, matchers: [{ label: "pool", op: "=~", value: "(" }] } }), "when.matchers[0].value is invalid")
      assert.include(yield* refusal({ name: "../etc" }), "invalid message for FLUX")
      assert.include(yield* refusal({ mode: "sometimes" }), "invalid message for FLUX")

      yield* first.add({ name: "nightly", when: { kind: "schedule", cron: "0 3 * * *" }, do: inc, mode: "queued", max: 3 })
      yield* first.add({ name: "watch", when: { kind: "alert", agent: "ORACLE" }, do: inc })
      yield* first.ask({ type: "disable", name: "watch", confirm: true })
      const duplicate = yield* Effect.flip(first.add({ name: "nightly", when: { kind: "alert" }, do: inc }))
      assert.include(duplicate.message, "a rule named 'nightly' already exists; remove it first to replace it")
      yield* first.system.shutdown()

      const second = yield* boot()
      const listing = (yield* second.ask({ type: "rules" })) as { rules: Array<{ name: string; status: string; mode: string; max: number; owner: string; nextRun: string | null }> }
      assert.deepStrictEqual(listing.rules.map((r) => [r.name, r.status, r.mode, r.max, r.owner, r.nextRun]), [
        ["nightly", "enabled", "queued", 3, "uid 0", "2024-03-11T03:00:00.000Z"],
        ["watch", "disabled", "single", 10, "uid 0", null]
      ])
      const removal = (yield* second.ask({ type: "remove-rule", name: "watch" })) as { applied: boolean; plan: string }
      assert.deepStrictEqual(removal, { applied: false, plan: "remove rule 'watch'", name: "watch" } as never)
      yield* second.ask({ type: "remove-rule", name: "watch", confirm: true })
      const missing = yield* Effect.flip(second.ask({ type: "rule", name: "watch" }))
      assert.include(missing.message, "no rule named 'watch'; rules: nightly")
    }).pipe(Effect.scoped, Effect.provide(layers())))

  it.effect("a schedule trigger fires at the cron times (ORBIT's dialect), on the test clock", () =>
    Effect.gen(function*() {
      const { add, count, until } = yield* boot()
      yield* add({ name: "tick", when: { kind: "schedule", cron: "*/5 * * * *" }, do: inc })
      yield* TestClock.setTime(Date.parse("2024-03-10T10:04:59Z"))
      assert.strictEqual(yield* count, 0)
      yield* TestClock.setTime(Date.parse("2024-03-10T10:05:00Z"))
      yield* until("tick", (v) => v.counters.succeeded === 1)
      yield* TestClock.setTime(Date.parse("2024-03-10T10:15:00Z"))
      const view = yield* until("tick", (v) => v.counters.succeeded === 3)
      assert.deepStrictEqual(view.outcomes.map((o) => o.at), ["2024-03-10T10:15:00.000Z", "2024-03-10T10:10:00.000Z", "2024-03-10T10:05:00.000Z"])
      assert.strictEqual(view.rule.nextRun, "2024-03-10T10:20:00.000Z")
      assert.strictEqual(yield* count, 3)
    }).pipe(Effect.scoped, Effect.provide(layers())))

  it.effect("a metric threshold fires when a series crosses it (read every metricIntervalMs, only while such a rule exists)", () =>
    Effect.gen(function*() {
      const history = yield* MetricHistory
      const { add, until, count, ask } = yield* boot({ config: { metricIntervalMs: 10_000 } })
      const record = (value: number, pool = "tank") => history.record([{ name: "sigmavault_pool_used_ratio", labels: { pool }, value }])
      yield* record(0.5)
      yield* record(0.95, "backup")
      yield* add({
        name: "full",
        when: { kind: "metric", metric: "sigmavault_pool_used_ratio", matchers: [{ label: "pool", op: "=~", value: "tank|backup" }], op: ">=", value: 0.9 },
        if: "event.labels.pool == \"tank\"",
        do: inc
      })
      yield* until("full", (v) => v.counters.triggered === 0)
      yield* TestClock.adjust(10_000)
      yield* record(0.93)
      yield* TestClock.adjust(10_000)
      const fired = yield* until("full", (v) => v.counters.succeeded === 1)
      assert.strictEqual(fired.counters.triggered, 1, "backup was already above the threshold when first read: no crossing")
      yield* TestClock.adjust(10_000)
      yield* TestClock.adjust(10_000)
      assert.strictEqual((yield* until("full", () => true)).counters.triggered, 1, "still above: no new crossing")
      assert.strictEqual(yield* count, 1)
      // The crossing is recorded: a dry-run against the record finds it.
      const dry = (yield* ask({ type: "test-rule", name: "full" })) as { source: string; matches: Array<{ event: string }> }
      assert.deepStrictEqual(dry.matches.map((m) => m.event), ["metric sigmavault_pool_used_ratio{\"pool\":\"tank\"} = 0.93"])
      // Given readings: only going from below to at-or-above fires.
      const given = (yield* ask({
        type: "test-rule",
        name: "full",
        events: [0.5, 0.95, 0.97, 0.4, 0.91].map((value) => ({ kind: "metric", name: "sigmavault_pool_used_ratio", labels: { pool: "tank" }, value }))
      })) as { matches: Array<{ index: number }> }
      assert.deepStrictEqual(given.matches.map((m) => m.index), [1, 4])
    }).pipe(Effect.scoped, Effect.provide(layers())))

  it.effect("does a plan by sending APEX run with the plan and confirm: true", () =>
    Effect.gen(function*() {
      apexRuns.length = 0
      const { add, publish, until } = yield* boot()
      const plan = { goal: "look after a failing disk", tasks: [{ id: "count", agent: "COUNTER", message: { type: "inc" } }, { id: "ring", agent: "BELL", message: { type: "raise", subject: "bell" }, after: ["count"] }] }
      yield* add({ name: "planner", when: { kind: "alert", agent: "ORACLE" }, do: { plan } })
      yield* publish(alert("ORACLE", "critical", "/dev/sdb"))
      const view = yield* until("planner", (v) => v.counters.succeeded === 1)
      assert.deepStrictEqual(apexRuns, [{ type: "run", ...plan, confirm: true }])
      assert.include(view.outcomes[0]!.detail, "APEX 'run': {\"id\":\"plan-1\",\"state\":\"running\"}")
    }).pipe(Effect.scoped, Effect.provide(layers())))
})

describe("FLUX modes, as Home Assistant documents them", () => {
  const busy = (name: string, mode: string, max?: number) => ({ name, when: { kind: "alert", agent: "WATCHED" }, do: sleep(20_000), mode, ...(max === undefined ? {} : { max }) })
  const fire = (publish: (e: FluxEvent) => Effect.Effect<void>, n: number) =>
    Effect.forEach(Array.from({ length: n }, (_, i) => alert("WATCHED", "warning", `thing ${i}`)), publish, { discard: true })

  it.effect("single: \"Doesn't start a new run while the automation is running, and logs a warning\"", () => {
    const lines: Array<string> = []
    const logger = Logger.make((options) => void lines.push(`${options.logLevel}: ${[options.message].flat().join(" ")}`))
    return Effect.gen(function*() {
      const { add, publish, until } = yield* boot()
      yield* add(busy("one", "single"))
      yield* fire(publish, 3)
      const view = yield* until("one", (v) => v.counters.triggered === 3)
      assert.deepStrictEqual([view.counters.started, view.counters.dropped, view.rule.running], [1, 2, 1])
      assert.include(view.outcomes[0]!.detail, "already running (mode single): this trigger is ignored")
      assert.deepStrictEqual(lines.filter((l) => l.includes("rule 'one'")), [
        "Warn: rule 'one': already running (mode single): this trigger is ignored",
        "Warn: rule 'one': already running (mode single): this trigger is ignored"
      ])
    }).pipe(Effect.scoped, Effect.provide(layers()), Effect.provide(Logger.layer([logger])))
  })

  it.effect("restart: \"Stops the current run ... and starts a new run\"", () =>
    Effect.gen(function*() {
      const { add, publish, until } = yield* boot()
      yield* add(busy("again", "restart"))
      yield* fire(publish, 3)
      const view = yield* until("again", (v) => v.counters.started === 3 && v.outcomes.filter((o) => o.result === "cancelled").length === 2)
      assert.deepStrictEqual([view.counters.restarted, view.rule.running, view.counters.dropped], [2, 1, 0])
    }).pipe(Effect.scoped, Effect.provide(layers())))

  it.effect("queued: \"Starts the new run after all previous runs have finished\", in order; beyond max (running and queued) dropped", () =>
    Effect.gen(function*() {
      const { add, publish, until } = yield* boot()
      yield* add(busy("line", "queued", 3))
      yield* fire(publish, 5)
      const view = yield* until("line", (v) => v.counters.triggered === 5)
      assert.deepStrictEqual([view.rule.running, view.rule.queued, view.counters.dropped], [1, 2, 2])
      assert.include(view.outcomes[0]!.detail, "3 runs already running or queued (mode queued, max 3)")
      yield* TestClock.adjust(20_000)
      const next = yield* until("line", (v) => v.counters.succeeded === 1 && v.rule.running === 1)
      assert.strictEqual(next.rule.queued, 1)
      yield* TestClock.adjust(20_000)
      yield* until("line", (v) => v.counters.succeeded === 2)
      yield* TestClock.adjust(20_000)
      const done = yield* until("line", (v) => v.counters.succeeded === 3)
      // Runs started in the order the automation was triggered.
      assert.deepStrictEqual(done.outcomes.filter((o) => o.result === "succeeded").map((o) => o.event).reverse(), [0, 1, 2].map((i) => `alert WATCHED warning thing ${i}: thing ${i} needs attention`))
    }).pipe(Effect.scoped, Effect.provide(layers())))

  it.effect("parallel: \"Starts a new, independent run right away\"; at most max at once, beyond max dropped", () =>
    Effect.gen(function*() {
      const { add, publish, until } = yield* boot()
      yield* add(busy("many", "parallel", 2))
      yield* fire(publish, 3)
      const view = yield* until("many", (v) => v.counters.triggered === 3)
      assert.deepStrictEqual([view.counters.started, view.rule.running, view.counters.dropped], [2, 2, 1])
      assert.include(view.outcomes[0]!.detail, "2 runs already running (mode parallel, max 2)")
    }).pipe(Effect.scoped, Effect.provide(layers())))

  it.effect("default: single with max 10", () =>
    Effect.gen(function*() {
      const { add, rule } = yield* boot()
      yield* add({ name: "plain", when: { kind: "alert" }, do: inc })
      const view = yield* rule("plain")
      assert.deepStrictEqual([(view.rule as unknown as { mode: string }).mode, (view.rule as unknown as { max: number }).max], ["single", 10])
    }).pipe(Effect.scoped, Effect.provide(layers())))
})

describe("FLUX loop guard", () => {
  it.effect("a rule whose action raises the alert that triggers it is stopped, reported with FLUX-LOOP, and can be enabled again", () =>
    Effect.gen(function*() {
      const { add, publish, until, events, ask } = yield* boot()
      yield* add({ name: "echo", when: { kind: "alert", agent: "ALARM" }, do: { agent: "ALARM", message: { type: "raise", subject: "echo" } } })
      yield* publish(alert("ALARM", "warning", "first"))
      const view = yield* until("echo", (v) => v.rule.status === "stopped")
      assert.strictEqual(view.rule.reason, "loop: its action caused an event that triggered it again (echo → echo)")
      assert.strictEqual(view.counters.started, 1)
      const reported = yield* events.until((e) => e._tag === "Alert" && e.code === "FLUX-LOOP")
      assert.include((reported as { text: string }).text, "rule 'echo' was stopped: loop")
      const enabled = (yield* ask({ type: "enable", name: "echo", confirm: true })) as { applied: boolean; rule: { status: string } }
      assert.deepStrictEqual([enabled.applied, enabled.rule.status], [true, "enabled"])
    }).pipe(Effect.scoped, Effect.provide(layers())))

  it.effect("a chain of rules that trigger each other is stopped where it comes back (A → B → A)", () =>
    Effect.gen(function*() {
      const { add, publish, until, rule } = yield* boot()
      yield* add({ name: "a", when: { kind: "alert", agent: "ALARM" }, do: { agent: "BELL", message: { type: "raise", subject: "from a" } } })
      yield* add({ name: "b", when: { kind: "alert", agent: "BELL" }, do: { agent: "ALARM", message: { type: "raise", subject: "from b" } } })
      yield* publish(alert("ALARM", "warning", "start"))
      const a = yield* until("a", (v) => v.rule.status === "stopped")
      assert.strictEqual(a.rule.reason, "loop: its action caused an event that triggered it again (a → b → a)")
      assert.strictEqual((yield* rule("b")).rule.status, "enabled")
    }).pipe(Effect.scoped, Effect.provide(layers())))

  it.effect("an incident NEXUS makes of alerts a rule's action caused carries the rule in its chain: incident → action → alert → incident is a loop", () =>
    Effect.gen(function*() {
      const { add, publish, until, events } = yield* boot()
      yield* add({ name: "on-incident", when: { kind: "incident" }, do: { agent: "ALARM", message: { type: "raise", subject: "pool tank" } } })
      yield* publish(incident("inc-1", "opened", "warning", "pool tank"))
      yield* until("on-incident", (v) => v.counters.succeeded === 1)
      yield* events.until((e) => e._tag === "Alert" && e.agent === "ALARM" && e.subject === "pool tank")
      // What NEXUS would publish for the alert the action raised.
      yield* publish(incident("inc-1", "updated", "warning", "pool tank"))
      const view = yield* until("on-incident", (v) => v.rule.status === "stopped")
      assert.strictEqual(view.rule.reason, "loop: its action caused an event that triggered it again (on-incident → on-incident)")
      assert.strictEqual(view.counters.started, 1)
    }).pipe(Effect.scoped, Effect.provide(layers())))

  it.effect("a rule that fires more than loopMaxFirings times in the window is stopped with FLUX-STORM, whatever the cause", () =>
    Effect.gen(function*() {
      const { add, publish, until, events } = yield* boot({ config: { loopMaxFirings: 5 } })
      yield* add({ name: "noisy", when: { kind: "alert", agent: "NOISY" }, do: inc, mode: "parallel" })
      for (let i = 0; i < 8; i++) yield* publish(alert("NOISY", "warning", `n${i}`))
      const view = yield* until("noisy", (v) => v.rule.status === "stopped")
      assert.strictEqual(view.counters.started, 5)
      assert.strictEqual(view.rule.reason, "storm: it fired 6 times within 60 s (at most 5)")
      yield* events.until((e) => e._tag === "Alert" && e.code === "FLUX-STORM")
      assert.lengthOf(alertsAbout(events, "FLUX-STORM"), 1)
    }).pipe(Effect.scoped, Effect.provide(layers())))
})

describe("FLUX owner rights", () => {
  it.effect("the action is sent on the adder's behalf: checked when added, again at each firing, recorded as theirs via rule", () =>
    Effect.gen(function*() {
      const ADMIN: Caller = { uid: 1000, gid: 500, groups: [], via: "socket" }
      const READER: Caller = { uid: 1001, gid: 600, groups: [], via: "socket" }
      let policy: Policy = makePolicy({ read: [{ name: "readers", gid: 600 }], operate: [], admin: [{ name: "admins", gid: 500 }] })
      const records: Array<{ caller: Caller; request: AuditedRequest }> = []
      const gate: Gate = {
        check: (caller, what, access) => policy.check(caller, what, access),
        record: (caller, request) => Effect.sync(() => void records.push({ caller, request })),
        refused: () => {}
      }
      const { add, publish, until, count, events, ask } = yield* boot({ gate })
      const reader = yield* Effect.flip(add({ name: "mine", when: { kind: "alert" }, do: inc }, READER))
      assert.strictEqual(reader.message, "uid 1001 may not send FLUX 'add-rule': it needs admin access, and uid 1001 has read access")
      const forged = yield* Effect.flip(add({ name: "forger", when: { kind: "alert" }, do: { agent: "ALARM", message: { type: "forge" } } }, ADMIN))
      assert.include(forged.message, "uid 1000 may not send ALARM 'forge'")
      // A reader may dry-run: nothing is sent.
      const dry = (yield* ask({ type: "test-rule", rule: { name: "d", when: { kind: "alert" }, do: inc }, events: [alert("X", "info", "s")] }, READER)) as { matches: Array<unknown> }
      assert.lengthOf(dry.matches, 1)

      yield* add({ name: "counting", when: { kind: "alert", agent: "ORACLE" }, do: inc }, ADMIN)
      yield* publish(alert("ORACLE", "warning", "/dev/sdb"))
      yield* until("counting", (v) => v.counters.succeeded === 1)
      assert.strictEqual(yield* count, 1)
      const fired = records.filter((r) => r.request._tag === "Message" && r.request.agent === "COUNTER")
      assert.deepStrictEqual(fired.map((r) => [r.caller.uid, r.caller.via]), [[1000, "rule"]], "recorded as the admin's, from a rule")

      // The admin leaves the group: the rule stays, and its action is refused when it fires.
      policy = makePolicy({ read: [], operate: [], admin: [] })
      yield* publish(alert("ORACLE", "warning", "/dev/sdc"))
      const refused = yield* until("counting", (v) => v.counters.failed === 1)
      assert.include(refused.outcomes[0]!.detail, "uid 1000 may not send COUNTER 'inc'")
      assert.strictEqual(yield* count, 1)
      yield* events.until((e) => e._tag === "Alert" && e.code === "FLUX-ACTION-DENIED")
    }).pipe(Effect.scoped, Effect.provide(layers())))
})
