/** An operator's restart, stop and start of one agent, done by its supervisor and not counted as failures. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import { counterAgent, restarted, started, tree, watch, ROOT } from "../support/agents.ts"

const boot = Effect.gen(function*() {
  const system = yield* ActorSystem.make({
    root: tree("root", "one_for_one", [counterAgent("A"), counterAgent("B", { restart: "temporary" })], { intensity: { maxRestarts: 1, withinMs: 60_000 } })
  })
  return { system, events: yield* watch(system) }
})
const status = (system: ActorSystem.ActorSystem, name: string) => system.agents().find((a) => a.name === name)!

describe("describe", () => {
  it.effect("lists the machine's states and the last messages handled, newest first, with their outcome", () =>
    Effect.gen(function*() {
      const { system, events } = yield* boot
      yield* system.injectAsk(ROOT, "A", { type: "inc" })
      yield* Effect.flip(system.injectAsk(ROOT, "A", { type: "refuse" }))
      yield* Effect.flip(system.injectAsk(ROOT, "A", { type: "crash" }))
      yield* events.until(started("A"))
      const described = (yield* system.injectAsk(ROOT, "A", { type: "describe" })) as {
        states: ReadonlyArray<string>
        recent: ReadonlyArray<{ type: string; outcome: string }>
      }
      assert.includeMembers([...described.states], ["idle", "sleeping", "done"])
      assert.deepStrictEqual(described.recent.map((m) => `${m.type} ${m.outcome}`), ["crash crashed", "refuse refused", "inc ok"])
    }).pipe(Effect.scoped))
})

describe("operator actions", () => {
  it.effect("restart gives a fresh incarnation (state reset), counts a restart, and is not a failure", () =>
    Effect.gen(function*() {
      const { system, events } = yield* boot
      yield* system.injectAsk(ROOT, "A", { type: "inc" })
      yield* system.injectAsk(ROOT, "A", { type: "inc" })
      for (let i = 0; i < 3; i++) yield* system.operate(ROOT, "A", "restart")
      yield* events.until(restarted("A"))
      assert.strictEqual(yield* system.injectAsk(ROOT, "A", { type: "get" }), 0)
      assert.deepStrictEqual([status(system, "A").restarts, status(system, "A").incarnation, status(system, "A").lifecycle], [3, 4, "running"])
      // Three restarts against an intensity of one: operators' restarts are not failures.
      assert.strictEqual(system.summary().lifecycle, "running")
    }).pipe(Effect.scoped))

  it.effect("restart of a busy agent interrupts it at once: counted once, its asker told, nothing left to stop the next incarnation", () =>
    Effect.gen(function*() {
      const { system, events } = yield* boot
      const asker = yield* Effect.forkChild(Effect.flip(system.injectAsk(ROOT, "A", { type: "sleep", ms: 60_000 }, { timeoutMs: 120_000 })))
      yield* Effect.yieldNow
      const restarting = yield* Effect.forkChild(system.operate(ROOT, "A", "restart"))
      yield* events.until(started("A"))
      assert.isDefined(restarting.pollUnsafe(), "done without waiting for the agent's shutdown timeout")
      assert.strictEqual((yield* Fiber.join(asker))._tag, "AgentStopped")
      assert.strictEqual(yield* system.injectAsk(ROOT, "A", { type: "get" }), 0)
      // Long after the shutdown timeout: still the one incarnation the operator asked for.
      yield* TestClock.adjust(60_000)
      assert.strictEqual(yield* system.injectAsk(ROOT, "A", { type: "get" }), 0)
      assert.deepStrictEqual([status(system, "A").restarts, status(system, "A").incarnation], [1, 2])
      assert.deepStrictEqual(events.labels((e) => e._tag === "Restarted" ? e.agent : undefined), ["A"])
      assert.strictEqual(system.summary().lifecycle, "running")
    }).pipe(Effect.scoped))

  it.effect("a stop request an agent never got to (it was interrupted) does not stop its next incarnation", () =>
    Effect.gen(function*() {
      // one_for_all: A's crash stops busy B gracefully; B is interrupted after its shutdown timeout and restarted.
      const system = yield* ActorSystem.make({
        root: tree("root", "one_for_all", [counterAgent("A"), counterAgent("B", { shutdownTimeoutMs: 1_000 })])
      })
      const events = yield* watch(system)
      yield* system.tell("B", { type: "sleep", ms: 60_000 })
      yield* Effect.yieldNow
      yield* system.tell("A", { type: "crash" })
      yield* TestClock.adjust(1_000)
      yield* events.until(started("B"))
      yield* system.tell("B", { type: "inc" })
      assert.strictEqual(yield* system.ask("B", { type: "get" }), 1)
      assert.strictEqual(status(system, "B").incarnation, 2, "started once more, with A, and not stopped again")
      assert.strictEqual(status(system, "B").lifecycle, "running")
    }).pipe(Effect.scoped))

  it.effect("stop keeps an agent down, whatever its restart type; start brings it back", () =>
    Effect.gen(function*() {
      const { system, events } = yield* boot
      yield* system.operate(ROOT, "A", "stop")
      assert.strictEqual(status(system, "A").lifecycle, "stopped")
      const refused = yield* Effect.flip(system.injectAsk(ROOT, "A", { type: "get" }))
      assert.strictEqual(refused._tag, "AgentStopped")
      assert.strictEqual((yield* Effect.flip(system.operate(ROOT, "A", "stop"))).message, "cannot stop A: A is already stopped")
      assert.strictEqual((yield* Effect.flip(system.operate(ROOT, "A", "restart"))).message, "cannot restart A: A is stopped; start it instead")
      yield* system.operate(ROOT, "A", "start")
      yield* events.until(started("A"))
      assert.strictEqual(yield* system.injectAsk(ROOT, "A", { type: "get" }), 0)
      assert.strictEqual((yield* Effect.flip(system.operate(ROOT, "A", "start"))).message, "cannot start A: A is already running")
      const unknown = yield* Effect.flip(system.operate(ROOT, "NOPE", "restart"))
      assert.strictEqual(unknown._tag, "UnknownAgent")
    }).pipe(Effect.scoped))

  it.effect("a temporary agent that ended cannot be started again", () =>
    Effect.gen(function*() {
      const { system, events } = yield* boot
      yield* system.inject(ROOT, "B", { type: "finish" })
      yield* events.until((e) => e._tag === "Stopped" && e.agent === "B")
      const refused = yield* Effect.flip(system.operate(ROOT, "B", "start"))
      assert.match(refused.message, /^cannot start B: B has ended for good \(restart type temporary\)/)
    }).pipe(Effect.scoped))
})
