/**
 * Property: under random schedules of messages and injected crashes across a
 * supervision tree, every message is accounted for exactly once (handled or
 * dead-lettered), and every permanent agent is running again afterwards unless
 * an escalation reached the top (which is then recorded).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import type { RestartType } from "../../src/runtime/Agent.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import type { Strategy } from "../../src/runtime/Supervisor.ts"
import { counterAgent, tree, ROOT } from "../support/agents.ts"

const strategies: ReadonlyArray<Strategy> = ["one_for_one", "one_for_all", "rest_for_one"]
const restarts: ReadonlyArray<RestartType> = ["permanent", "transient", "temporary"]

const tierArb = fc.record({
  strategy: fc.constantFrom(...strategies),
  maxRestarts: fc.integer({ min: 1, max: 6 }),
  agents: fc.array(fc.constantFrom(...restarts), { minLength: 1, maxLength: 3 })
})

// Agent indexes past the roster address agents that do not exist.
const agentArb = fc.nat(6)
const opArb = fc.oneof(
  fc.record({ kind: fc.constant("tell" as const), agent: agentArb }),
  fc.record({ kind: fc.constant("inject" as const), agent: agentArb }),
  fc.record({ kind: fc.constant("ask" as const), agent: agentArb }),
  fc.record({ kind: fc.constant("crash" as const), agent: agentArb }),
  fc.record({ kind: fc.constant("sleep" as const), agent: agentArb, ms: fc.integer({ min: 1, max: 300 }) }),
  // A busy agent, then a burst with a crash inside: messages are queued behind the crash.
  fc.record({
    kind: fc.constant("burst" as const),
    agent: agentArb,
    ms: fc.integer({ min: 1, max: 300 }),
    before: fc.nat(5),
    after: fc.nat(5)
  }),
  fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 1, max: 500 }) })
)

const scenarioArb = fc.record({
  tiers: fc.array(tierArb, { minLength: 1, maxLength: 3 }),
  rootMaxRestarts: fc.integer({ min: 1, max: 4 }),
  ops: fc.array(opArb, { minLength: 1, maxLength: 40 }),
  shutdownDeadlineMs: fc.constantFrom(0, 50, 10_000)
})

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer S> ? S : never

const runScenario = (scenario: Scenario) =>
  Effect.gen(function*() {
    const restartOf = new Map<string, RestartType>()
    const tiers = scenario.tiers.map((tier, t) =>
      tree(
        `tier${t}`,
        tier.strategy,
        tier.agents.map((restart, a) => {
          const name = `T${t}A${a}`
          restartOf.set(name, restart)
          return counterAgent(name, { restart, mailboxCapacity: 4 })
        }),
        {
          intensity: { maxRestarts: tier.maxRestarts, withinMs: 1_000 },
          backoff: { initialMs: 10, maxMs: 80, jitter: 0.3, resetAfterMs: 500 }
        }
      )
    )
    const system = yield* ActorSystem.make({
      root: tree("root", "one_for_one", tiers, {
        intensity: { maxRestarts: scenario.rootMaxRestarts, withinMs: 1_000 },
        backoff: { initialMs: 10, maxMs: 80, jitter: 0.3, resetAfterMs: 500 }
      }),
      backpressureTimeoutMs: 400,
      defaultAskTimeoutMs: 200
    })
    const names = [...restartOf.keys()]
    const nameOf = (i: number) => names[i] ?? `GHOST${i}`
    let sent = 0
    const pending: Array<Fiber.Fiber<unknown, unknown>> = []
    const background = <A, E>(effect: Effect.Effect<A, E>) =>
      Effect.map(Effect.forkChild(Effect.exit(effect)), (fiber) => void pending.push(fiber))

    for (const op of scenario.ops) {
      switch (op.kind) {
        case "advance":
          yield* TestClock.adjust(op.ms)
          continue
        case "tell":
          sent++
          yield* background(system.tell(nameOf(op.agent), { type: "inc" }))
          break
        case "inject":
          sent++
          yield* Effect.exit(system.inject(ROOT, nameOf(op.agent), { type: "inc" }))
          break
        case "ask":
          sent++
          yield* background(system.ask(nameOf(op.agent), { type: "get" }))
          break
        case "crash":
          sent++
          yield* background(system.tell(nameOf(op.agent), { type: "crash" }))
          break
        case "sleep":
          sent++
          yield* background(system.tell(nameOf(op.agent), { type: "sleep", ms: op.ms }))
          break
        case "burst": {
          const name = nameOf(op.agent)
          sent += 2 + op.before + op.after
          yield* background(system.tell(name, { type: "sleep", ms: op.ms }))
          yield* Effect.yieldNow
          for (let i = 0; i < op.before; i++) yield* Effect.exit(system.inject(ROOT, name, { type: "inc" }))
          yield* Effect.exit(system.inject(ROOT, name, { type: "crash" }))
          for (let i = 0; i < op.after; i++) yield* Effect.exit(system.inject(ROOT, name, { type: "inc" }))
          break
        }
      }
      yield* Effect.yieldNow
    }
    // Let every sleep, back-off and pending restart run out.
    for (let i = 0; i < 40; i++) yield* TestClock.adjust(100)
    for (const fiber of pending) yield* Fiber.await(fiber)

    const summary = system.summary()
    if (summary.lifecycle === "running") {
      for (const [name, restart] of restartOf) {
        if (restart !== "temporary") {
          assert.strictEqual(system.status(name)!.lifecycle, "running", `${name} (${restart}) runs again`)
        }
      }
    } else {
      assert.strictEqual(summary.lifecycle, "failed")
      assert.isAbove(summary.escalations.length, 0, "a failed system records the escalation")
    }

    // Some messages are queued again and the deadline may leave them behind: they count as left over.
    for (const name of names) {
      sent += 3
      for (let i = 0; i < 3; i++) yield* Effect.exit(system.inject(ROOT, name, { type: "sleep", ms: 40 }))
    }
    yield* system.shutdown({ deadlineMs: scenario.shutdownDeadlineMs }).pipe(
      Effect.forkChild,
      Effect.tap(() => TestClock.adjust(60_000))
    )
    yield* system.awaitExit
    const handled = system.agents().reduce((sum, agent) => sum + agent.handled, 0)
    let deadLetters = 0
    for (const [agent, reasons] of Object.entries(system.deadLetters.snapshot())) {
      for (const [reason, n] of Object.entries(reasons)) {
        if (reason !== "late-reply") deadLetters += n // late replies are answers, not messages sent
        void agent
      }
    }
    assert.strictEqual(handled + deadLetters, sent, "handled + dead-lettered = sent")
  }).pipe(Effect.scoped)

describe("message accounting under random crashes", () => {
  it.effect("every message is handled or dead-lettered exactly once; permanent agents recover", () =>
    Effect.gen(function*() {
      const context = yield* Effect.context<never>()
      const run = Effect.runPromiseWith(context)
      yield* Effect.promise(() =>
        fc.assert(fc.asyncProperty(scenarioArb, (scenario) => run(runScenario(scenario))), { numRuns: 150 })
      )
    }), 120_000)
})

describe("a regression the property found", () => {
  it.effect("messages refused because the system failed are dead letters too", () =>
    Effect.gen(function*() {
      const context = yield* Effect.context<never>()
      yield* Effect.promise(() =>
        Effect.runPromiseWith(context)(runScenario({
          tiers: [
            { strategy: "one_for_one", maxRestarts: 1, agents: ["permanent"] },
            { strategy: "one_for_one", maxRestarts: 1, agents: ["permanent"] }
          ],
          rootMaxRestarts: 1,
          ops: [
            { kind: "crash", agent: 0 },
            { kind: "crash", agent: 0 },
            { kind: "burst", agent: 1, ms: 1, before: 0, after: 0 },
            { kind: "burst", agent: 1, ms: 1, before: 0, after: 0 },
            { kind: "sleep", agent: 0, ms: 1 }
          ],
          shutdownDeadlineMs: 0
        }))
      )
    }))
})
