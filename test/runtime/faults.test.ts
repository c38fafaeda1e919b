/**
 * The test faults (`run --test-faults`): `sv.fault` and `sv.stall` wait in the
 * mailbox's system lane (served before queued messages) and are taken by
 * whichever incarnation runs next — so one told while the agent restarts
 * reaches the next incarnation, as any message would — and an asker hears how
 * its fault ended at once.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import { TestClock } from "effect/testing"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import type { AskError } from "../../src/runtime/Errors.ts"
import { counterAgent, restarted, started, tree, watch, ROOT } from "../support/agents.ts"

const boot = Effect.gen(function*() {
  const system = yield* ActorSystem.make({
    root: tree("root", "one_for_one", [counterAgent("A"), counterAgent("B")]),
    testFaults: true
  })
  return { system, events: yield* watch(system) }
})

describe("an ask whose handling crashes the incarnation", () => {
  it.effect("sv.fault asked is answered AgentCrashed at once, not after the ask timeout", () =>
    Effect.gen(function*() {
      const { system, events } = yield* boot
      const asking = yield* Effect.forkChild(Effect.flip(system.injectAsk(ROOT, "A", { type: "sv.fault" }, { timeoutMs: 5_000 })))
      yield* events.until(started("A")) // the restarted incarnation: the answer came before it, the clock never moved
      const answer = asking.pollUnsafe()
      assert.isDefined(answer, "answered without waiting for the timeout")
      const error = yield* Fiber.join(asking)
      assert.strictEqual(error._tag, "AgentCrashed")
      assert.strictEqual(error.message, "agent A crashed: fault injected into A for testing")
      assert.strictEqual(system.status("A")!.restarts, 1)
      assert.strictEqual(system.status("A")!.deadLetters, 0, "the fault did what it was sent for: no message was lost")
    }).pipe(Effect.scoped))

  it.effect("the socket's callback path hears it at once too", () =>
    Effect.gen(function*() {
      const { system, events } = yield* boot
      let answer: Exit.Exit<unknown, AskError> | undefined
      system.injectAskCallback(ROOT, "A", { type: "sv.fault" }, 5_000, (exit) => (answer = exit))
      yield* events.until(started("A"))
      assert.isDefined(answer)
      assert.isTrue(answer !== undefined && Exit.isFailure(answer))
      const error = answer !== undefined && Exit.isFailure(answer) ? answer.cause : undefined
      assert.match(String(error), /AgentCrashed/)
    }).pipe(Effect.scoped))

  it.effect("an ordinary crash of the message in hand is answered the same way", () =>
    Effect.gen(function*() {
      const { system } = yield* boot
      const error = yield* Effect.flip(system.injectAsk(ROOT, "A", { type: "crash" }))
      assert.strictEqual(error._tag, "AgentCrashed")
    }).pipe(Effect.scoped))

  it.effect("sv.stall asked is acknowledged once the stall ends", () =>
    Effect.gen(function*() {
      const { system } = yield* boot
      const asking = yield* Effect.forkChild(system.injectAsk(ROOT, "A", { type: "sv.stall", ms: 1_000 }, { timeoutMs: 5_000 }))
      yield* TestClock.adjust(1_000)
      assert.deepStrictEqual(yield* Fiber.join(asking), { type: "ack", state: "idle" })
    }).pipe(Effect.scoped))
})

describe("a test fault told while the agent restarts", () => {
  it.effect("reaches the next incarnation, as a message told meanwhile does", () =>
    Effect.gen(function*() {
      const { system, events } = yield* boot
      yield* Effect.flip(system.injectAsk(ROOT, "A", { type: "crash" }))
      yield* events.until(started("A")) // the first restart is immediate
      yield* Effect.flip(system.injectAsk(ROOT, "A", { type: "crash" }))
      const second = yield* events.until(restarted("A"))
      assert.strictEqual(second._tag === "Restarted" && second.delayMs, 100, "the second waits out its backoff")
      assert.strictEqual(system.status("A")!.lifecycle, "restarting")
      // Told now, while nothing of A runs: accepted, and kept for the next incarnation.
      yield* system.inject(ROOT, "A", { type: "inc" })
      yield* system.inject(ROOT, "A", { type: "sv.fault" })
      yield* TestClock.adjust(100)
      yield* events.until(started("A"))
      yield* events.until(restarted("A")) // the fault crashed the incarnation that took it
      assert.strictEqual(system.status("A")!.restarts, 3)
      assert.strictEqual(system.status("A")!.lastError, "fault injected into A for testing")
      yield* TestClock.adjust(200)
      yield* events.until(started("A"))
      // A fault is served before queued messages (the system lane), so the inc waited out that crash too.
      assert.strictEqual(yield* system.injectAsk(ROOT, "A", { type: "get" }), 1, "the inc reached the incarnation after the fault")
    }).pipe(Effect.scoped))

  it.effect("told to an agent that is stopped, it is refused with AgentStopped, never accepted and dropped", () =>
    Effect.gen(function*() {
      const { system } = yield* boot
      yield* system.operate(ROOT, "A", "stop")
      const refused = yield* Effect.flip(system.inject(ROOT, "A", { type: "sv.fault" }))
      assert.strictEqual(refused._tag, "AgentStopped")
      assert.strictEqual(system.deadLetters.countFor("A", "agent-stopped"), 1)
    }).pipe(Effect.scoped))
})
