import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import type { TreeNode } from "../../src/runtime/Status.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import { counterAgent, restarted, started, stubbornAgent, tree, watch, ROOT } from "../support/agents.ts"

const counts = (system: ActorSystem.ActorSystem, names: ReadonlyArray<string>) =>
  Effect.forEach(names, (name) => system.ask(name, { type: "get" }))

/** Increments A, B and C to 1, 2 and 3, crashes B, and returns the counts after the restart. */
const crashMiddle = (strategy: "one_for_one" | "one_for_all" | "rest_for_one") =>
  Effect.gen(function*() {
    const system = yield* ActorSystem.make({
      root: tree("root", strategy, [counterAgent("A"), counterAgent("B"), counterAgent("C")])
    })
    for (const [name, n] of [["A", 1], ["B", 2], ["C", 3]] as const) {
      for (let i = 0; i < n; i++) yield* system.tell(name, { type: "inc" })
    }
    assert.deepStrictEqual(yield* counts(system, ["A", "B", "C"]), [1, 2, 3])
    const events = yield* watch(system)
    const crash = yield* Effect.flip(system.ask("B", { type: "crash" }))
    assert.strictEqual(crash._tag, "AgentCrashed")
    yield* events.until(started("B"))
    if (strategy !== "one_for_one") yield* events.until(started("C"))
    const after = yield* counts(system, ["A", "B", "C"])
    return { system, after }
  })

describe("Supervisor strategies", () => {
  it.effect("one_for_one restarts only the failed child, with fresh state", () =>
    Effect.gen(function*() {
      const { system, after } = yield* crashMiddle("one_for_one")
      assert.deepStrictEqual(after, [1, 0, 3])
      assert.strictEqual(system.status("B")!.restarts, 1)
      assert.strictEqual(system.status("B")!.lastError, "B was told to crash")
      assert.strictEqual(system.status("A")!.restarts, 0)
    }).pipe(Effect.scoped))

  it.effect("one_for_all restarts every child", () =>
    Effect.gen(function*() {
      const { after } = yield* crashMiddle("one_for_all")
      assert.deepStrictEqual(after, [0, 0, 0])
    }).pipe(Effect.scoped))

  it.effect("rest_for_one restarts the failed child and those started after it", () =>
    Effect.gen(function*() {
      const { after } = yield* crashMiddle("rest_for_one")
      assert.deepStrictEqual(after, [1, 0, 0])
    }).pipe(Effect.scoped))

  it.effect("siblings are stopped in reverse order and restarted in order", () =>
    Effect.gen(function*() {
      const system = yield* ActorSystem.make({
        root: tree("root", "one_for_all", [counterAgent("A"), counterAgent("B"), counterAgent("C")])
      })
      const events = yield* watch(system)
      yield* Effect.flip(system.ask("A", { type: "crash" }))
      yield* events.until(started("C"))
      const lifecycle = events.labels((e) =>
        e._tag === "Started" ? `start ${e.agent}` : e._tag === "Stopped" ? `stop ${e.agent}` : undefined
      )
      assert.deepStrictEqual(lifecycle, ["stop C", "stop B", "start A", "start B", "start C"])
      yield* system.shutdown()
      yield* events.until((e) => e._tag === "Stopped" && e.agent === "A")
      assert.deepStrictEqual(
        events.labels((e) => e._tag === "Stopped" && e.reason === "shutdown" ? e.agent : undefined),
        ["C", "B", "A"]
      )
    }).pipe(Effect.scoped))
})

describe("Restart types", () => {
  it.effect("permanent: restarted after a crash and after a normal exit", () =>
    Effect.gen(function*() {
      const system = yield* ActorSystem.make({ root: tree("root", "one_for_one", [counterAgent("P")]) })
      const events = yield* watch(system)
      yield* system.tell("P", { type: "finish" })
      assert.strictEqual(yield* system.ask("P", { type: "get" }), 0)
      assert.strictEqual(system.status("P")!.restarts, 1)
      yield* Effect.flip(system.ask("P", { type: "crash" }))
      yield* events.until(restarted("P"))
      yield* events.until(restarted("P"))
      yield* TestClock.adjust(100) // the second consecutive restart backs off initialMs
      assert.strictEqual(yield* system.ask("P", { type: "get" }), 0)
      assert.strictEqual(system.status("P")!.restarts, 2)
    }).pipe(Effect.scoped))

  it.effect("transient: restarted after a crash, not after a normal exit", () =>
    Effect.gen(function*() {
      const system = yield* ActorSystem.make({
        root: tree("root", "one_for_one", [counterAgent("T", { restart: "transient" })])
      })
      yield* Effect.flip(system.ask("T", { type: "crash" }))
      assert.strictEqual(yield* system.ask("T", { type: "get" }), 0)
      yield* system.tell("T", { type: "finish" })
      const error = yield* Effect.flip(system.ask("T", { type: "get" }))
      assert.strictEqual(error._tag, "AgentStopped")
      assert.strictEqual(system.status("T")!.lifecycle, "stopped")
    }).pipe(Effect.scoped))

  it.effect("temporary: never restarted", () =>
    Effect.gen(function*() {
      const system = yield* ActorSystem.make({
        root: tree("root", "one_for_one", [counterAgent("X", { restart: "temporary" }), counterAgent("Y")])
      })
      yield* Effect.flip(system.ask("X", { type: "crash" }))
      const error = yield* Effect.flip(system.ask("X", { type: "get" }))
      assert.strictEqual(error._tag, "AgentStopped")
      assert.strictEqual(system.status("X")!.lifecycle, "failed")
      assert.strictEqual(system.status("X")!.restarts, 0)
      assert.strictEqual(yield* system.ask("Y", { type: "get" }), 0)
    }).pipe(Effect.scoped))
})

describe("Restart intensity", () => {
  it.effect("a supervisor exceeding MaxR in MaxT stops its children and escalates to its parent", () =>
    Effect.gen(function*() {
      const tier = tree("tier", "one_for_one", [counterAgent("A"), counterAgent("B")], {
        intensity: { maxRestarts: 2, withinMs: 10_000 },
        backoff: { initialMs: 0, maxMs: 0, jitter: 0, resetAfterMs: 60_000 }
      })
      const system = yield* ActorSystem.make({ root: tree("root", "one_for_one", [tier, counterAgent("S")]) })
      const events = yield* watch(system)
      yield* system.tell("B", { type: "inc" })
      yield* system.tell("S", { type: "inc" })
      for (let i = 0; i < 3; i++) {
        yield* Effect.flip(system.ask("A", { type: "crash" }))
        yield* events.until(started("A"))
      }
      yield* events.until(started("B"))
      // The tier gave up and was restarted by root: its agents run again with fresh state.
      assert.strictEqual(yield* system.ask("B", { type: "get" }), 0)
      assert.strictEqual(yield* system.ask("S", { type: "get" }), 1, "the sibling of the tier is untouched")
      assert.deepStrictEqual(events.labels((e) => e._tag === "Escalated" ? e.supervisor : undefined), ["tier"])
      const tierNode = (system.tree() as Extract<TreeNode, { kind: "supervisor" }>).children[0]!
      assert.strictEqual(tierNode.kind, "supervisor")
      assert.strictEqual(tierNode.kind === "supervisor" && tierNode.status.restarts, 1)
      assert.match(system.summary().escalations[0]!, /tier gave up: more than 2 restarts within 10000 ms/)
      assert.strictEqual(system.summary().lifecycle, "running")
    }).pipe(Effect.scoped))

  it.effect("escalation past the root fails the whole system", () =>
    Effect.gen(function*() {
      const system = yield* ActorSystem.make({
        root: tree("root", "one_for_one", [counterAgent("A")], {
          intensity: { maxRestarts: 1, withinMs: 10_000 },
          backoff: { initialMs: 0, maxMs: 0, jitter: 0, resetAfterMs: 60_000 }
        })
      })
      yield* Effect.flip(system.ask("A", { type: "crash" }))
      yield* Effect.flip(system.ask("A", { type: "crash" }))
      const exit = yield* system.awaitExit
      assert.strictEqual(exit._tag, "Failed")
      assert.match(exit._tag === "Failed" ? exit.reason : "", /root gave up/)
      assert.strictEqual(system.summary().lifecycle, "failed")
      assert.strictEqual(system.status("A")!.lifecycle, "failed")
    }).pipe(Effect.scoped))

  it.effect("restarts older than MaxT no longer count (for a child stable between its failures)", () =>
    Effect.gen(function*() {
      const system = yield* ActorSystem.make({
        root: tree("root", "one_for_one", [counterAgent("A")], {
          intensity: { maxRestarts: 1, withinMs: 1_000 },
          backoff: { initialMs: 0, maxMs: 0, jitter: 0, resetAfterMs: 1_000 }
        })
      })
      const events = yield* watch(system)
      for (let i = 0; i < 3; i++) {
        yield* Effect.flip(system.ask("A", { type: "crash" }))
        yield* events.until(started("A"))
        yield* TestClock.adjust(1_001)
      }
      assert.strictEqual(system.summary().lifecycle, "running")
      assert.strictEqual(system.status("A")!.restarts, 3)
    }).pipe(Effect.scoped))
})

describe("Restarts in a row", () => {
  it.effect("a child that never runs the stable period escalates after maxRestartsInARow restarts, though backoff keeps the window empty", () =>
    Effect.gen(function*() {
      // The window holds 3 restarts, but backoff spaces them 1 s, 2 s, 4 s, … apart: the window never fills.
      const system = yield* ActorSystem.make({
        root: tree("root", "one_for_one", [tree("tier", "one_for_one", [counterAgent("A")], {
          intensity: { maxRestarts: 3, withinMs: 1_000, maxRestartsInARow: 4 },
          backoff: { initialMs: 1_000, maxMs: 60_000, jitter: 0, resetAfterMs: 600_000 }
        })])
      })
      const events = yield* watch(system)
      for (let failure = 1; failure <= 5; failure++) {
        yield* Effect.flip(system.ask("A", { type: "crash" }))
        if (failure === 5) break
        const restart = yield* events.until(restarted("A"))
        yield* TestClock.adjust(restart._tag === "Restarted" ? restart.delayMs : 0)
        yield* events.until(started("A"))
        assert.deepStrictEqual(events.labels((e) => e._tag === "Escalated" ? e.supervisor : undefined), [], `no escalation after ${failure} failures`)
      }
      const escalated = yield* events.until((e) => e._tag === "Escalated")
      assert.strictEqual(
        escalated._tag === "Escalated" && escalated.reason,
        "supervisor tier gave up: A failed again after 4 restarts in a row without once running 600000 ms"
      )
    }).pipe(Effect.scoped))

  it.effect("the status reports the rule in force: maxRestartsInARow defaults to maxRestarts", () =>
    Effect.gen(function*() {
      const system = yield* ActorSystem.make({ root: tree("root", "one_for_one", [counterAgent("A")], { intensity: { maxRestarts: 7, withinMs: 1_000 } }) })
      const root = system.tree() as Extract<TreeNode, { kind: "supervisor" }>
      assert.deepStrictEqual(root.status.intensity, { maxRestarts: 7, withinMs: 1_000, maxRestartsInARow: 7 })
    }).pipe(Effect.scoped))
})

describe("Backoff", () => {
  const backoffSystem = (jitter: number) =>
    ActorSystem.make({
      root: tree("root", "one_for_one", [counterAgent("A")], {
        intensity: { maxRestarts: 100, withinMs: 60_000 },
        backoff: { initialMs: 100, maxMs: 400, jitter, resetAfterMs: 5_000 }
      })
    })

  /** Crashes A and returns the delay the supervisor chose for its restart. */
  const crashAndObserveDelay = (system: ActorSystem.ActorSystem, events: Effect.Success<ReturnType<typeof watch>>) =>
    Effect.gen(function*() {
      yield* Effect.flip(system.ask("A", { type: "crash" }))
      const event = yield* events.until(restarted("A"))
      return event._tag === "Restarted" ? event.delayMs : -1
    })

  it.effect("first restart is immediate, then delays double up to the cap", () =>
    Effect.gen(function*() {
      const system = yield* backoffSystem(0)
      const events = yield* watch(system)
      const observed: Array<number> = []
      for (let i = 0; i < 5; i++) {
        const delay = yield* crashAndObserveDelay(system, events)
        observed.push(delay)
        if (delay > 0) {
          yield* TestClock.adjust(delay - 1)
          assert.strictEqual(system.status("A")!.lifecycle, "restarting", "not restarted before its delay")
          yield* TestClock.adjust(1)
        }
        yield* events.until(started("A"))
        assert.strictEqual(system.status("A")!.lifecycle, "running")
      }
      assert.deepStrictEqual(observed, [0, 100, 200, 400, 400])
    }).pipe(Effect.scoped))

  it.effect("the backoff resets after the child ran for the stable period", () =>
    Effect.gen(function*() {
      const system = yield* backoffSystem(0)
      const events = yield* watch(system)
      assert.strictEqual(yield* crashAndObserveDelay(system, events), 0)
      yield* events.until(started("A"))
      assert.strictEqual(yield* crashAndObserveDelay(system, events), 100)
      yield* TestClock.adjust(100)
      yield* events.until(started("A"))
      yield* TestClock.adjust(5_000)
      assert.strictEqual(yield* crashAndObserveDelay(system, events), 0)
    }).pipe(Effect.scoped))

  it.effect("jitter spreads the delay within ±jitter of the base", () =>
    Effect.gen(function*() {
      const system = yield* backoffSystem(0.5)
      const events = yield* watch(system)
      const delays: Array<number> = []
      for (let i = 0; i < 6; i++) {
        delays.push(yield* crashAndObserveDelay(system, events))
        yield* TestClock.adjust(1_000)
        yield* events.until(started("A"))
      }
      // bases: 0, 100, 200, 400, 400, 400 — each spread over ±50%
      assert.strictEqual(delays[0], 0)
      ;[100, 200, 400, 400, 400].forEach((base, i) => {
        assert.isAtLeast(delays[i + 1]!, base * 0.5)
        assert.isAtMost(delays[i + 1]!, base * 1.5)
      })
      assert.isAbove(new Set(delays.slice(3)).size, 1, "jittered delays differ")
    }).pipe(Effect.scoped))
})

describe("Shutdown", () => {
  it.effect("an agent still busy at the deadline is interrupted then, whatever its own shutdown timeout; its asker is told", () =>
    Effect.gen(function*() {
      const system = yield* ActorSystem.make({
        root: tree("root", "one_for_one", [counterAgent("Busy", { shutdownTimeoutMs: 60_000 }), counterAgent("Idle")])
      })
      const asker = yield* Effect.forkChild(
        Effect.flip(system.ask("Busy", { type: "sleep", ms: 60_000 }, { timeoutMs: 120_000 }))
      )
      yield* Effect.yieldNow
      const shutdown = yield* Effect.forkChild(system.shutdown({ deadlineMs: 1_000 }))
      yield* TestClock.adjust(1_000)
      const report = yield* Fiber.join(shutdown)
      assert.deepStrictEqual(report.killed, ["Busy"], "Idle stopped by itself")
      assert.deepStrictEqual(report.unstopped, [])
      assert.strictEqual(report.durationMs, 1_000)
      assert.strictEqual((yield* Fiber.join(asker))._tag, "AgentStopped")
      assert.strictEqual(system.status("Busy")!.lifecycle, "stopped")
      assert.strictEqual(system.deadLetters.countFor("Busy", "agent-stopped"), 1)
    }).pipe(Effect.scoped))

  it.effect("queued messages are handled until the deadline; the one in hand then is interrupted, the rest are left over", () =>
    Effect.gen(function*() {
      const system = yield* ActorSystem.make({
        root: tree("root", "one_for_one", [counterAgent("Busy", { shutdownTimeoutMs: 60_000 }), counterAgent("Idle")])
      })
      yield* system.tell("Busy", { type: "sleep", ms: 1_000 })
      yield* system.tell("Busy", { type: "sleep", ms: 1_000 })
      yield* system.tell("Busy", { type: "inc" })
      yield* system.tell("Idle", { type: "inc" })
      const shutdown = yield* Effect.forkChild(system.shutdown({ deadlineMs: 1_500 }))
      yield* TestClock.adjust(1_000) // first sleep done; the second starts before the deadline
      yield* TestClock.adjust(500) // the deadline: the second sleep is interrupted, "inc" is left over
      const report = yield* Fiber.join(shutdown)
      assert.deepStrictEqual(report.leftover, { Busy: 1 })
      assert.deepStrictEqual(report.killed, ["Busy"])
      assert.strictEqual(system.status("Busy")!.handled, 1)
      assert.strictEqual(system.deadLetters.countFor("Busy", "agent-stopped"), 1, "the sleep in hand")
      assert.strictEqual(system.status("Idle")!.handled, 1)
      assert.strictEqual(system.summary().lifecycle, "stopped")
      const refused = yield* Effect.flip(system.inject(ROOT, "Idle", { type: "inc" }))
      assert.strictEqual(refused._tag, "SystemShuttingDown")
    }).pipe(Effect.scoped))

  it.effect("forty stalled agents and a short deadline: all are interrupted together at the deadline, not one after another", () =>
    Effect.gen(function*() {
      const names = Array.from({ length: 40 }, (_, i) => `S${i}`)
      const tiers = [0, 1, 2, 3].map((t) => tree(`tier${t}`, "one_for_one", names.slice(t * 10, t * 10 + 10).map((name) => counterAgent(name))))
      const system = yield* ActorSystem.make({ root: tree("root", "one_for_one", tiers), testFaults: true })
      for (const name of names) yield* system.inject(ROOT, name, { type: "sv.stall", ms: 60_000 })
      yield* Effect.yieldNow
      const shutdown = yield* Effect.forkChild(system.shutdown({ deadlineMs: 500 }))
      // Before: each agent had its 5 s shutdown timeout in turn (200 s); now the deadline is the bound.
      yield* TestClock.adjust(500)
      const report = yield* Fiber.join(shutdown)
      assert.strictEqual(report.durationMs, 500)
      assert.sameMembers([...report.killed], names)
      assert.deepStrictEqual(report.unstopped, [])
      assert.isTrue(names.every((name) => system.status(name)!.lifecycle === "stopped"))
      assert.strictEqual(system.summary().lifecycle, "stopped")
    }).pipe(Effect.scoped))

  it.effect("an agent that ignores its interruption is given up on after the grace period: the stop still ends, naming it", () =>
    Effect.gen(function*() {
      const system = yield* ActorSystem.make({
        root: tree("root", "one_for_one", [counterAgent("Idle"), stubbornAgent("Stuck")]),
        interruptGraceMs: 1_000
      })
      // Its second incarnation never finishes starting and cannot be interrupted.
      yield* Effect.flip(system.ask("Stuck", { type: "crash" }))
      yield* Effect.yieldNow
      const shutdown = yield* Effect.forkChild(system.shutdown({ deadlineMs: 500 }))
      yield* TestClock.adjust(500)
      yield* Effect.yieldNow
      assert.isUndefined(shutdown.pollUnsafe(), "within the grace period it waits")
      yield* TestClock.adjust(1_000)
      const report = yield* Fiber.join(shutdown)
      assert.deepStrictEqual(report.unstopped, ["Stuck"])
      assert.isAtMost(report.durationMs, 500 + 2 * 1_000)
      assert.strictEqual(system.status("Idle")!.lifecycle, "stopped")
    }).pipe(Effect.scoped))
})
