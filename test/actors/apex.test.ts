/**
 * APEX under the TestClock: validation before anything runs, dry runs, the
 * run on the caller's behalf, timeouts to the millisecond, cancel, a crashing
 * agent, retries of read messages only, a 1,000-task plan, the concurrency cap
 * against random DAGs, who may see and cancel a plan, and a restart.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Schema, type Scope } from "effect"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import { StateStore } from "../../src/adapters/state/StateStore.ts"
import * as StateStoreTest from "../../src/adapters/state/StateStoreTest.ts"
import { apexAgent, ApexConfig, defaultApexConfig } from "../../src/actors/apex/index.ts"
import { codes } from "../../src/actors/apex/codes.ts"
import { ANNOUNCE_AFTER_MS } from "../../src/actors/apex/machine.ts"
import { Apex, type PlanView } from "../../src/actors/apex/messages.ts"
import { serviceMachine } from "../../src/actors/shared/serve.ts"
import { makePolicy } from "../../src/access/Policy.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import { type AgentDefinition, define } from "../../src/runtime/Agent.ts"
import type { Caller } from "../../src/runtime/Caller.ts"
import type { AuditedRequest, Gate } from "../../src/runtime/Gate.ts"
import type { InspectionEvent } from "../../src/runtime/Inspection.ts"
import * as Protocol from "../../src/runtime/Protocol.ts"
import { counterAgent, decodedReply, fastBackoff, generous, ROOT, watch } from "../support/agents.ts"

const OPERATOR: Caller = { uid: 1000, gid: 500, groups: [], via: "socket" }
const OTHER_OPERATOR: Caller = { uid: 1002, gid: 500, groups: [], via: "socket" }
const READER: Caller = { uid: 1001, gid: 600, groups: [], via: "socket" }
const ADMIN: Caller = { uid: 1003, gid: 700, groups: [], via: "socket" }
const policy = makePolicy({
  read: [{ name: "readers", gid: 600 }],
  operate: [{ name: "ops", gid: 500 }],
  admin: [{ name: "admins", gid: 700 }]
})

// ---- a probe agent per name: records when each piece of work starts and ends ----------

interface ProbeLog {
  tick: number
  inFlight: number
  maxInFlight: number
  readonly started: Map<string, number>
  readonly ended: Map<string, number>
  order: Array<string>
  readonly stopped: Array<string>
}
const newLog = (): ProbeLog => ({ tick: 0, inFlight: 0, maxInFlight: 0, started: new Map(), ended: new Map(), order: [], stopped: [] })

const probeAgent = (name: string, log: ProbeLog): AgentDefinition => {
  const protocol = Protocol.make(name, [
    Protocol.message("work", {
      doc: "works ms, recording when",
      access: "read",
      fields: { task: Schema.String, ms: Schema.Number },
      reply: Schema.Struct({ task: Schema.String })
    })
  ])
  return define({
    protocol,
    tier: "5-8",
    description: `probe ${name}`,
    capabilities: [{ name: "work", available: true, detail: "works" }],
    machine: serviceMachine(protocol, {
      handlers: {
        work: ({ task, ms }) =>
          Effect.gen(function*() {
            log.inFlight++
            log.maxInFlight = Math.max(log.maxInFlight, log.inFlight)
            log.order.push(task)
            log.started.set(task, log.tick++)
            yield* Effect.onInterrupt(Effect.sleep(ms), () =>
              Effect.sync(() => {
                log.inFlight--
                log.stopped.push(task)
              }))
            log.inFlight--
            log.ended.set(task, log.tick++)
            return { task }
          })
      }
    })
  })
}

// ---- booting a system -------------------------------------------------------------------

const boot = (others: ReadonlyArray<AgentDefinition> = [], options: { readonly gated?: boolean } = {}) =>
  Effect.gen(function*() {
    const records: Array<{ caller: Caller; request: AuditedRequest }> = []
    const gate: Gate = {
      check: (caller, what, access) => policy.check(caller, what, access),
      record: (caller, request) => Effect.sync(() => void records.push({ caller, request })),
      refused: () => {}
    }
    const root: ActorSystem.SupervisorNode<StateStore> = {
      name: "root",
      strategy: "one_for_one",
      intensity: generous,
      backoff: fastBackoff,
      children: [counterAgent("COUNTER"), counterAgent("OTHER"), ...others, apexAgent]
    }
    const system = yield* ActorSystem.make({ root, ...(options.gated === false ? {} : { gate }) })
    const events = yield* watch(system)
    const ask = (caller: Caller, message: Record<string, unknown> & { type: string }) =>
      system.injectAsk(caller, "APEX", message, { timeoutMs: 600_000 })
    const view = (id: string, caller: Caller = ROOT, limit = 200) =>
      Effect.map(ask(caller, { type: "plan", id, limit }), (wire) => decodedReply(Apex.get("plan")!, wire) as PlanView)
    /** Lets the plan's fibers run (advancing the clock by `stepMs` each turn) until it has ended. */
    const settle = (id: string, stepMs = 0, caller: Caller = ROOT) =>
      Effect.gen(function*() {
        for (let turn = 0; turn < 200_000; turn++) {
          const plan = yield* view(id, caller, 0)
          if (plan.state !== "running" && plan.state !== "validating") return yield* view(id, caller)
          if (stepMs > 0) yield* TestClock.adjust(stepMs)
          else yield* Effect.yieldNow
        }
        throw new Error(`plan ${id} did not end`)
      })
    const count = (agent = "COUNTER") => Effect.map(system.ask(agent, { type: "get" }), (n) => n as number)
    return { system, events, records, ask, view, settle, count }
  })

const rejection = (exit: Exit.Exit<unknown, unknown>) => {
  assert.isTrue(Exit.isFailure(exit), "refused")
  const error = Cause.squash((exit as Exit.Failure<unknown, unknown>).cause) as {
    readonly _tag: string
    readonly message: string
    readonly rejection?: { readonly _tag: string }
  }
  return { tag: error.rejection?._tag ?? error._tag, message: error.message }
}

const task = (id: string, message: Record<string, unknown> & { type: string }, extra: Record<string, unknown> = {}, agent = "COUNTER") => ({
  id,
  agent,
  message,
  ...extra
})
const started = (reply: unknown) => reply as { readonly id: string; readonly state: string }

const run = <A, E>(effect: Effect.Effect<A, E, StateStore | Scope.Scope>) => Effect.scoped(effect).pipe(Effect.provide(StateStoreTest.layer()))

describe("APEX", () => {
  it("lists its codes with titles", () => {
    assert.deepStrictEqual(codes.map((c) => c.code), ["APEX-PLAN-FAILED", "APEX-PLAN-INTERRUPTED"])
  })

  it.effect("without confirm answers the dry run: order, levels, access; nothing runs", () =>
    run(Effect.gen(function*() {
      const { ask, count } = yield* boot()
      const reply = yield* ask(OPERATOR, {
        type: "run",
        goal: "count twice, then read",
        tasks: [task("a", { type: "inc" }), task("b", { type: "inc" }, {}, "OTHER"), task("c", { type: "get" }, { after: ["a", "b"], retries: 2 })]
      })
      const dry = decodedReply(Apex.get("run")!, reply) as { dryRun: true; order: Array<string>; levels: Array<Array<string>>; tasks: Array<{ id: string; access: string; level: number; timeoutMs: number }>; changesState: boolean }
      assert.deepStrictEqual(dry.levels, [["a", "b"], ["c"]])
      assert.deepStrictEqual(dry.order, ["a", "b", "c"])
      assert.deepStrictEqual(dry.tasks.map((t) => [t.id, t.access, t.level, t.timeoutMs]), [
        ["a", "operate", 0, defaultApexConfig.taskTimeoutMs],
        ["b", "operate", 0, defaultApexConfig.taskTimeoutMs],
        ["c", "read", 1, defaultApexConfig.taskTimeoutMs]
      ])
      assert.isTrue(dry.changesState)
      assert.strictEqual(yield* count(), 0)
      assert.deepStrictEqual(decodedReply(Apex.get("plans")!, yield* ask(OPERATOR, { type: "plans" })), { plans: [] })
    })))

  it.effect("refuses invalid plans before anything runs, naming the task and the reason", () =>
    run(Effect.gen(function*() {
      const { ask, count } = yield* boot()
      const refusal = (tasks: ReadonlyArray<unknown>, caller: Caller = OPERATOR) =>
        Effect.map(Effect.exit(ask(caller, { type: "run", goal: "g", tasks, confirm: true })), rejection)
      const cycle = yield* refusal([task("a", { type: "get" }, { after: ["c"] }), task("b", { type: "get" }, { after: ["a"] }), task("c", { type: "get" }, { after: ["b"] }), task("d", { type: "get" })])
      assert.strictEqual(cycle.tag, "InvalidPlan")
      assert.match(cycle.message, /the tasks wait for each other in a cycle: (a → b → c → a|b → c → a → b|c → a → b → c)$/)
      assert.include((yield* refusal([task("a", { type: "get" }, { after: ["a"] })])).message, "task 'a': it waits for itself")
      assert.strictEqual(
        (yield* refusal([task("a", { type: "get" }, { after: ["nope"] })])).message,
        "APEX 'run': invalid plan: task 'a': 'after' names 'nope', which is not a task of this plan"
      )
      assert.include((yield* refusal([task("a", { type: "get" }), task("a", { type: "inc" })])).message, "task 'a': the id is used by more than one task (tasks 1 and 2)")
      assert.include((yield* refusal([task("a", { type: "get" }, {}, "NOBODY")])).message, "task 'a': unknown agent 'NOBODY'")
      assert.include((yield* refusal([task("a", { type: "explode" })])).message, "task 'a': COUNTER has no message 'explode'; it accepts: inc, get")
      assert.include((yield* refusal([task("a", { type: "sleep", ms: "long" })])).message, "task 'a': invalid message for COUNTER")
      assert.include((yield* refusal([task("a", { type: "sleep", ms: "long" })])).message, `["ms"]`)
      assert.include((yield* refusal([task("a", { type: "plans" }, {}, "APEX")])).message, "plans do not nest")
      // The caller's rights, task by task: an operator may not crash COUNTER (admin).
      assert.strictEqual(
        (yield* refusal([task("ok", { type: "inc" }), task("boom", { type: "crash" })])).message,
        "APEX 'run': invalid plan: task 'boom': uid 1000 may not send COUNTER 'crash': it needs admin access, and uid 1000 has operate access"
      )
      // Retries only where safe to repeat.
      assert.strictEqual(
        (yield* refusal([task("twice", { type: "inc" }, { retries: 1 })])).message,
        "APEX 'run': invalid plan: task 'twice': retries are allowed only for messages that are safe to repeat (read access); COUNTER 'inc' needs operate access, so a retry could do it twice"
      )
      // A reader cannot run a plan at all (run needs operate), whatever it holds.
      const reader = yield* refusal([task("a", { type: "get" })], READER)
      assert.strictEqual(reader.tag, "AccessDenied")
      assert.strictEqual(reader.message, "uid 1001 may not send APEX 'run': it needs operate access, and uid 1001 has read access")
      // Hostile input is refused at the boundary, naming the field.
      const hostile = rejection(yield* Effect.exit(ask(OPERATOR, { type: "run", goal: "g", tasks: [task("../etc", { type: "get" })] })))
      assert.strictEqual(hostile.tag, "InvalidMessage")
      assert.include(hostile.message, `["tasks"][0]["id"]`)
      assert.strictEqual(yield* count(), 0)
    })))

  it.effect("refuses plans over the limits with a typed rejection", () =>
    run(Effect.gen(function*() {
      const { ask } = yield* boot()
      const tooMany = rejection(yield* Effect.exit(ask(OPERATOR, {
        type: "run",
        goal: "g",
        tasks: Array.from({ length: 6 }, (_, i) => task(`t${i}`, { type: "get" }))
      })))
      assert.deepStrictEqual(tooMany, { tag: "PlanLimit", message: "APEX 'run': a plan may have at most 5 tasks" })
      const long = (id: string) => ask(OPERATOR, { type: "run", goal: "g", id, tasks: [task("s", { type: "sleep", ms: 10_000 })], confirm: true })
      yield* long("one")
      const second = rejection(yield* Effect.exit(long("two")))
      assert.strictEqual(second.tag, "PlanLimit")
      assert.include(second.message, "1 plans are running already")
    }).pipe(Effect.provideService(ApexConfig, { ...defaultApexConfig, maxTasks: 5, maxRunningPlans: 1 }))))

  it.effect("with confirm answers at once, then runs each task on the caller's behalf, recorded as theirs", () =>
    run(Effect.gen(function*() {
      const { ask, settle, count, records, events } = yield* boot()
      const reply = started(yield* ask(OPERATOR, {
        type: "run",
        goal: "count",
        tasks: [task("a", { type: "inc" }), task("b", { type: "inc" }, { after: ["a"] }), task("c", { type: "get" }, { after: ["b"] })],
        confirm: true
      }))
      assert.strictEqual(reply.state, "running")
      const plan = yield* settle(reply.id)
      assert.strictEqual(plan.state, "succeeded")
      assert.strictEqual(plan.owner, "uid 1000")
      assert.deepStrictEqual(plan.taskPage.map((t) => [t.id, t.state, t.attempts]), [["a", "succeeded", 1], ["b", "succeeded", 1], ["c", "succeeded", 1]])
      assert.strictEqual(plan.taskPage[2]!.reply, 2)
      assert.deepStrictEqual(plan.counts, { pending: 0, running: 0, succeeded: 3, failed: 0, "timed-out": 0, cancelled: 0, skipped: 0 })
      assert.strictEqual(yield* count(), 2)
      const byPlan = records.filter((r) => r.request._tag === "Message" && r.request.agent === "COUNTER")
      assert.deepStrictEqual(byPlan.map((r) => [r.caller.uid, r.caller.via]), [[1000, "plan"], [1000, "plan"]])
      const progress = (yield* events.until((e) => e._tag === "Progress" && e.agent === "APEX" && e.done === 3)) as Extract<InspectionEvent, { _tag: "Progress" }>
      assert.deepStrictEqual([progress.job, progress.total, progress.unit], [reply.id, 3, "tasks"])
    })))

  it.effect("a task's timeout is exact; a failed task's dependants are skipped; the plan fails with an alert", () =>
    run(Effect.gen(function*() {
      const { ask, view, settle, events } = yield* boot()
      const { id } = started(yield* ask(OPERATOR, {
        type: "run",
        goal: "slow",
        tasks: [
          task("slow", { type: "sleep", ms: 10_000 }, { timeoutMs: 1000 }),
          task("then", { type: "inc" }, { after: ["slow"] }),
          task("after-then", { type: "get" }, { after: ["then"] }),
          task("aside", { type: "inc" }, {}, "OTHER")
        ],
        confirm: true
      }))
      for (let i = 0; i < 20; i++) yield* Effect.yieldNow
      yield* TestClock.adjust(999)
      assert.strictEqual((yield* view(id)).taskPage[0]!.state, "running")
      yield* TestClock.adjust(1)
      const plan = yield* settle(id)
      assert.strictEqual(plan.state, "failed")
      assert.deepStrictEqual(plan.taskPage.map((t) => t.state), ["timed-out", "skipped", "skipped", "succeeded"])
      assert.strictEqual(plan.taskPage[0]!.durationMs, 1000)
      assert.strictEqual(plan.taskPage[0]!.error?.tag, "AskTimeout")
      assert.strictEqual(plan.taskPage[1]!.error?.message, "'slow' timed out, and this task waits for it")
      assert.include(plan.reason!, "task 'slow' (COUNTER 'sleep') timed-out: COUNTER did not answer 'sleep' within 1000 ms; 2 dependent tasks skipped")
      const alert = yield* events.until((e) => e._tag === "Alert" && e.agent === "APEX")
      assert.strictEqual((alert as Extract<InspectionEvent, { _tag: "Alert" }>).code, "APEX-PLAN-FAILED")
    })))

  it.effect("cancel reaches every task: the running ask is abandoned, every pending task cancelled", () =>
    run(Effect.gen(function*() {
      const log = newLog()
      const { ask, view } = yield* boot([probeAgent("PROBE", log)])
      const { id } = started(yield* ask(OPERATOR, {
        type: "run",
        goal: "long",
        concurrency: 1,
        tasks: [task("first", { type: "work", task: "first", ms: 60_000 }, {}, "PROBE"), ...Array.from({ length: 100 }, (_, i) => task(`t${i}`, { type: "inc" }, i % 2 === 0 ? { after: ["first"] } : {}))],
        confirm: true
      }))
      for (let i = 0; i < 20; i++) yield* Effect.yieldNow
      assert.strictEqual((yield* view(id)).taskPage[0]!.state, "running")
      const cancelled = yield* ask(OPERATOR, { type: "cancel", id })
      assert.deepStrictEqual(cancelled, { id, state: "cancelled", cancelled: 101 })
      const plan = yield* view(id)
      assert.deepStrictEqual(plan.counts, { pending: 0, running: 0, succeeded: 0, failed: 0, "timed-out": 0, cancelled: 101, skipped: 0 })
      assert.strictEqual(plan.taskPage[0]!.error?.tag, "Cancelled")
      const again = rejection(yield* Effect.exit(ask(OPERATOR, { type: "cancel", id })))
      assert.deepStrictEqual(again, { tag: "PlanStateConflict", message: `APEX 'cancel': plan '${id}' is cancelled: cannot cancel it` })
      // The abandoned ask reached its agent, which stopped the work.
      for (let i = 0; i < 20 && log.stopped.length === 0; i++) yield* Effect.yieldNow
      assert.deepStrictEqual(log.stopped, ["first"])
      assert.strictEqual(log.inFlight, 0)
    })))

  it.effect("a task's agent crashing mid-plan fails that task; the rest of the plan goes on", () =>
    run(Effect.gen(function*() {
      const { ask, settle, count } = yield* boot()
      const { id } = started(yield* ask(ADMIN, {
        type: "run",
        goal: "crash",
        tasks: [
          task("one", { type: "inc" }, {}, "OTHER"),
          task("boom", { type: "crash" }, { after: ["one"] }, "OTHER"),
          task("never", { type: "inc" }, { after: ["boom"] }, "OTHER"),
          task("mine", { type: "inc" })
        ],
        confirm: true
      }))
      const plan = yield* settle(id, 50)
      assert.deepStrictEqual(plan.taskPage.map((t) => t.state), ["succeeded", "failed", "skipped", "succeeded"])
      assert.strictEqual(plan.taskPage[1]!.error?.tag, "AgentCrashed")
      assert.strictEqual(yield* count(), 1)
    })))

  it.effect("retries a read message after a failure, with a backoff, up to its retries", () =>
    run(Effect.gen(function*() {
      const { ask, settle } = yield* boot()
      const { id } = started(yield* ask(OPERATOR, {
        type: "run",
        goal: "refused thrice",
        tasks: [task("r", { type: "refuse" }, { retries: 2 })],
        confirm: true
      }))
      const plan = yield* settle(id, 500)
      assert.strictEqual(plan.taskPage[0]!.state, "failed")
      assert.strictEqual(plan.taskPage[0]!.attempts, 3)
      assert.strictEqual(plan.taskPage[0]!.error?.tag, "RefusedOnPurpose")
      assert.strictEqual(plan.taskPage[0]!.durationMs, 3000, "1 s, then 2 s between attempts")
    })))

  it.effect("runs a 1,000-task plan", () =>
    run(Effect.gen(function*() {
      const { ask, settle, count } = yield* boot([], { gated: false })
      const tasks = Array.from({ length: 1000 }, (_, i) => task(`t${i}`, { type: "inc" }, i >= 10 ? { after: [`t${i - 10}`] } : {}))
      const { id } = started(yield* ask(ROOT, { type: "run", goal: "a thousand", tasks, concurrency: 8, confirm: true }))
      const plan = yield* settle(id)
      assert.strictEqual(plan.state, "succeeded")
      assert.strictEqual(plan.counts.succeeded, 1000)
      assert.strictEqual(yield* count(), 1000)
    })))

  it.effect("property: on random DAGs the cap is never exceeded and every task starts after its dependencies ended", () =>
    run(Effect.gen(function*() {
      const log = newLog()
      const N = 12
      const probes = Array.from({ length: N }, (_, i) => probeAgent(`PROBE${i}`, log))
      const { ask, settle } = yield* boot(probes, { gated: false })
      const dag = fc.integer({ min: 1, max: N }).chain((n) =>
        fc.record({
          n: fc.constant(n),
          // Each task may depend on earlier ones only: a DAG by construction.
          deps: fc.array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: n, maxLength: n }),
          ms: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: n, maxLength: n }),
          concurrency: fc.integer({ min: 1, max: 5 }),
          shuffle: fc.array(fc.nat(), { minLength: n, maxLength: n })
        })
      )
      const samples = fc.sample(dag, { numRuns: 40, seed: 20 })
      let planNo = 0
      for (const { n, deps, ms, concurrency, shuffle } of samples) {
        planNo++
        log.inFlight = 0
        log.maxInFlight = 0
        log.started.clear()
        log.ended.clear()
        log.order = []
        const after = deps.map((d, i) => (i === 0 ? [] : [...new Set(d.map((x) => x % i))]))
        const tasks = Array.from({ length: n }, (_, i) => ({
          id: `p${planNo}t${i}`,
          agent: `PROBE${i}`,
          message: { type: "work", task: `p${planNo}t${i}`, ms: ms[i]! * 10 },
          ...(after[i]!.length === 0 ? {} : { after: after[i]!.map((j) => `p${planNo}t${j}`) })
        }))
        // The order tasks are listed in does not matter.
        const listed = tasks.map((t, i) => [shuffle[i]!, i, t] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, , t]) => t)
        const { id } = started(yield* ask(ROOT, { type: "run", goal: "random", tasks: listed, concurrency, confirm: true }))
        const plan = yield* settle(id, 5)
        assert.strictEqual(plan.state, "succeeded", JSON.stringify({ n, after, concurrency }))
        assert.isAtMost(log.maxInFlight, concurrency)
        // Brute force: every dependency ended before its dependant started.
        for (let i = 0; i < n; i++) {
          for (const j of after[i]!) {
            assert.isBelow(log.ended.get(`p${planNo}t${j}`)!, log.started.get(`p${planNo}t${i}`)!, "a dependency ended before its dependant started")
            const dep = plan.taskPage.find((t) => t.id === `p${planNo}t${j}`)!
            const mine = plan.taskPage.find((t) => t.id === `p${planNo}t${i}`)!
            assert.isAtMost(Date.parse(dep.endedAt!), Date.parse(mine.startedAt!))
          }
        }
        // From APEX's own record: at no instant more than `concurrency` asks outstanding.
        const intervals = plan.taskPage.map((t) => [Date.parse(t.startedAt!), Date.parse(t.endedAt!)] as const)
        for (const [at] of intervals) {
          const open = intervals.filter(([s, e]) => s <= at && at < e).length
          assert.isAtMost(open, concurrency)
        }
      }
    })))

  it.effect("only who ran a plan, or an admin, may see or cancel it", () =>
    run(Effect.gen(function*() {
      const { ask, view } = yield* boot()
      const { id } = started(yield* ask(OPERATOR, { type: "run", goal: "mine", tasks: [task("s", { type: "sleep", ms: 60_000 })], confirm: true }))
      const other = rejection(yield* Effect.exit(ask(OTHER_OPERATOR, { type: "cancel", id })))
      assert.deepStrictEqual(other, {
        tag: "NotYourPlan",
        message: `APEX 'cancel': plan '${id}' was run by someone else: only they or an admin may see or change it, not uid 1002 (socket)`
      })
      assert.strictEqual(rejection(yield* Effect.exit(view(id, OTHER_OPERATOR))).tag, "NotYourPlan")
      assert.deepStrictEqual(yield* ask(OTHER_OPERATOR, { type: "plans" }), { plans: [] })
      assert.strictEqual(rejection(yield* Effect.exit(ask(READER, { type: "cancel", id }))).tag, "AccessDenied")
      assert.strictEqual(((yield* ask(OPERATOR, { type: "plans" })) as { plans: Array<unknown> }).plans.length, 1)
      assert.strictEqual(((yield* ask(ADMIN, { type: "plans" })) as { plans: Array<unknown> }).plans.length, 1)
      assert.strictEqual((yield* view(id, OPERATOR)).state, "running")
      assert.deepStrictEqual(yield* ask(ADMIN, { type: "cancel", id }), { id, state: "cancelled", cancelled: 1 })
    })))

  it.effect("a plan cut off by a daemon that died is reported interrupted, nothing re-run; resume runs only what had not succeeded", () =>
    Effect.gen(function*() {
      // What the file says after a daemon died mid-plan: one task done, one running, one pending.
      const taskRecord = (id: string, state: string, extra: Record<string, unknown> = {}) => ({
        id,
        agent: "COUNTER",
        message: { type: "inc" },
        access: "operate",
        after: [],
        timeoutMs: 1000,
        retries: 0,
        state,
        attempts: state === "pending" ? 0 : 1,
        startedAt: state === "pending" ? null : 0,
        endedAt: state === "succeeded" ? 5 : null,
        ...extra
      })
      const seeded = {
        apex: { plans: [{ id: "cut-off", slot: 0 }] },
        "apex-plan-0": {
          ...{
            id: "cut-off",
            goal: "three incs",
            owner: OPERATOR,
            createdAt: 0,
            endedAt: null,
            state: "running",
            concurrency: 1,
            reason: null,
            announced: false,
            tasks: [taskRecord("done", "succeeded", { reply: { ok: true } }), taskRecord("mid", "running"), taskRecord("later", "pending", { after: ["mid"] })]
          }
        }
      }
      const stored = yield* StateStoreTest.make(seeded)
      const { ask, view, settle, count, events } = yield* boot().pipe(Effect.provideService(StateStore, stored))
      const plan = yield* view("cut-off")
      assert.strictEqual(plan.state, "interrupted")
      assert.deepStrictEqual(plan.taskPage.map((t) => t.state), ["succeeded", "cancelled", "pending"])
      assert.include(plan.taskPage[1]!.error!.message, "the daemon stopped while this task ran: whether COUNTER finished 'inc' is not known")
      assert.include(plan.reason!, "1 of 3 tasks had succeeded. Nothing was re-run")
      assert.strictEqual(yield* count(), 0)
      yield* TestClock.adjust(ANNOUNCE_AFTER_MS)
      const alert = yield* events.until((e) => e._tag === "Alert" && e.agent === "APEX")
      assert.strictEqual((alert as Extract<InspectionEvent, { _tag: "Alert" }>).code, "APEX-PLAN-INTERRUPTED")

      const dry = (yield* ask(OPERATOR, { type: "resume", id: "cut-off" })) as { order: Array<string> }
      assert.deepStrictEqual(dry.order, ["mid", "later"])
      assert.strictEqual(rejection(yield* Effect.exit(ask(OTHER_OPERATOR, { type: "resume", id: "cut-off", confirm: true }))).tag, "NotYourPlan")
      assert.deepStrictEqual(yield* ask(OPERATOR, { type: "resume", id: "cut-off", confirm: true }), { id: "cut-off", state: "running" })
      const resumed = yield* settle("cut-off")
      assert.strictEqual(resumed.state, "succeeded")
      assert.deepStrictEqual(resumed.taskPage.map((t) => [t.id, t.attempts]), [["done", 1], ["mid", 1], ["later", 1]])
      assert.strictEqual(yield* count(), 2, "the task that had succeeded was not re-run")
    }).pipe(Effect.scoped))

  it.effect("a restart of the daemon finds its plans: finished as they were, running ones interrupted", () =>
    Effect.gen(function*() {
      const stored = yield* StateStoreTest.make()
      const first = yield* Effect.scoped(Effect.gen(function*() {
        const { ask, settle } = yield* boot()
        const done = started(yield* ask(OPERATOR, { type: "run", goal: "quick", tasks: [task("a", { type: "inc" })], confirm: true }))
        yield* settle(done.id)
        const long = started(yield* ask(OPERATOR, { type: "run", goal: "long", tasks: [task("a", { type: "inc" }), task("s", { type: "sleep", ms: 60_000 }, { after: ["a"] })], confirm: true }))
        for (let i = 0; i < 50; i++) yield* Effect.yieldNow
        return { done: done.id, long: long.id }
      })).pipe(Effect.provideService(StateStore, stored))
      assert.deepStrictEqual([...stored.documents.keys()].sort(), ["apex", "apex-plan-0", "apex-plan-1"], "an index and a document per plan")
      const { view } = yield* boot().pipe(Effect.provideService(StateStore, stored))
      assert.strictEqual((yield* view(first.done)).state, "succeeded")
      const long = yield* view(first.long)
      assert.strictEqual(long.state, "interrupted")
      assert.deepStrictEqual(long.taskPage.map((t) => t.state), ["succeeded", "cancelled"])
      assert.include(long.reason!, "APEX stopped while the plan ran")
    }).pipe(Effect.scoped))

  it.effect("writes a running plan at most once per interval, and at its start and end: not once per task", () =>
    Effect.gen(function*() {
      const inner = yield* StateStoreTest.make()
      const writes: Array<string> = []
      const counting = { ...inner, write: (key: string, value: unknown) => Effect.andThen(Effect.sync(() => void writes.push(key)), inner.write(key, value)) }
      const { ask, settle } = yield* boot([], { gated: false }).pipe(Effect.provideService(StateStore, counting))
      const tasks = Array.from({ length: 1000 }, (_, i) => task(`t${i}`, { type: "inc" }, i >= 4 ? { after: [`t${i - 4}`] } : {}))
      const { id } = started(yield* ask(ROOT, { type: "run", goal: "many", tasks, confirm: true }))
      yield* settle(id)
      const planWrites = writes.filter((key) => key.startsWith("apex-plan-")).length
      // At the start, at most one more from the saver (the clock does not move here), at the end.
      assert.isAtMost(planWrites, 4)
      assert.isAtLeast(planWrites, 2)
      const stored = yield* inner.read("apex-plan-0")
      assert.strictEqual((stored as { value: { state: string } }).value.state, "succeeded", "the end is on disk at once")
    }).pipe(Effect.scoped))

  it.effect("keeps the last plans_kept finished plans; an admin may forget one", () =>
    run(Effect.gen(function*() {
      const { ask, settle } = yield* boot()
      const ids: Array<string> = []
      for (let i = 0; i < 4; i++) {
        const { id } = started(yield* ask(OPERATOR, { type: "run", goal: `n${i}`, tasks: [task("g", { type: "get" })], confirm: true }))
        yield* settle(id)
        ids.push(id)
      }
      const listed = (yield* ask(OPERATOR, { type: "plans" })) as { plans: Array<{ id: string }> }
      assert.deepStrictEqual(listed.plans.map((p) => p.id), ids.slice(-2))
      assert.strictEqual(rejection(yield* Effect.exit(ask(OPERATOR, { type: "forget", id: ids[3]! }))).tag, "AccessDenied")
      assert.deepStrictEqual(yield* ask(ADMIN, { type: "forget", id: ids[3]! }), { forgotten: ids[3]! })
      assert.deepStrictEqual(((yield* ask(OPERATOR, { type: "plans" })) as { plans: Array<{ id: string }> }).plans.map((p) => p.id), [ids[2]!])
    }).pipe(Effect.provideService(ApexConfig, { ...defaultApexConfig, plansKept: 2 }))))
})
