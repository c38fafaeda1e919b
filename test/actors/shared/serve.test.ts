/**
 * serviceMachine when the asker gives up: the handler's work is stopped
 * (its finalizers run), nobody is answered, nothing is logged as a protocol
 * violation, and the agent takes the next message at once. And its periodic
 * work: an idle schedule sets no timer until a request was handled.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Logger, Schema } from "effect"
import { TestClock } from "effect/testing"
import { serviceMachine } from "../../../src/actors/shared/serve.ts"
import * as ActorSystem from "../../../src/runtime/ActorSystem.ts"
import { define } from "../../../src/runtime/Agent.ts"
import * as Protocol from "../../../src/runtime/Protocol.ts"
import { ROOT, tree } from "../../support/agents.ts"

const Worker = Protocol.make("WORKER", [
  Protocol.message("work", { doc: "works for ms", access: "operate", fields: { ms: Schema.Number }, reply: Schema.Struct({ worked: Schema.Number }) })
])

describe("serviceMachine", () => {
  it.live("an abandoned ask stops its work, answers no one, logs no violation, and frees the agent", () => {
    const lines: Array<string> = []
    const logger = Logger.make((options) => void lines.push(`${options.logLevel}: ${[options.message].flat().join(" ")}`))
    let stopped = 0
    const worker = define({
      protocol: Worker,
      tier: "5-8",
      description: "works",
      capabilities: [{ name: "work", available: true, detail: "works" }],
      machine: serviceMachine(Worker, {
        handlers: {
          work: ({ ms }) =>
            Effect.as(Effect.sleep(ms), { worked: ms }).pipe(Effect.onInterrupt(() => Effect.sync(() => void stopped++)))
        }
      })
    })
    return Effect.gen(function*() {
      const system = yield* ActorSystem.make({ root: tree("root", "one_for_one", [worker]) })
      const gaveUp = yield* Effect.flip(system.injectAsk(ROOT, "WORKER", { type: "work", ms: 60_000 }, { timeoutMs: 50 }))
      assert.strictEqual(gaveUp._tag, "AskTimeout")
      // The agent is free again at once, not in a minute.
      assert.deepStrictEqual(yield* system.injectAsk(ROOT, "WORKER", { type: "work", ms: 1 }, { timeoutMs: 5_000 }), { worked: 1 })
      assert.strictEqual(stopped, 1, "the abandoned work was interrupted")
      assert.deepStrictEqual(lines.filter((line) => /outside its protocol|Error/.test(line)), [])
      const status = system.status("WORKER")!
      assert.deepStrictEqual([status.restarts, status.lifecycle], [0, "running"])
    }).pipe(Effect.scoped, Effect.provide(Logger.layer([logger])))
  })

  it.effect("periodic work that says it is idle runs no more until a request was handled, then goes on at its interval", () => {
    let runs = 0
    let work = 0
    const Queue = Protocol.make("QUEUE", [
      Protocol.message("add", { doc: "adds work", access: "operate", fields: { n: Schema.Number }, reply: Schema.Struct({ queued: Schema.Number }) }),
      Protocol.message("runs", { doc: "periodic runs so far", access: "read", reply: Schema.Struct({ runs: Schema.Number }) })
    ])
    const queue = define({
      protocol: Queue,
      tier: "5-8",
      description: "works through what it is given, one item a run",
      capabilities: [{ name: "queue", available: true, detail: "queues" }],
      machine: serviceMachine(Queue, {
        every: {
          intervalMs: 1_000,
          run: Effect.sync(() => {
            runs++
            if (work > 0) work--
          }),
          idle: () => work === 0
        },
        handlers: {
          add: ({ n }) => Effect.sync(() => ({ queued: (work += n) })),
          runs: () => Effect.sync(() => ({ runs }))
        }
      })
    })
    return Effect.gen(function*() {
      const system = yield* ActorSystem.make({ root: tree("root", "one_for_one", [queue]) })
      // The run at start found nothing: an hour passes without another.
      yield* TestClock.adjust(3_600_000)
      assert.strictEqual(runs, 1)
      // A request that brings no work wakes it once; it finds nothing and sleeps again.
      assert.deepStrictEqual(yield* system.injectAsk(ROOT, "QUEUE", { type: "runs" }), { runs: 1 })
      yield* TestClock.adjust(999)
      assert.strictEqual(runs, 1, "the run after a request waits its interval")
      yield* TestClock.adjust(1)
      assert.strictEqual(runs, 2)
      yield* TestClock.adjust(3_600_000)
      assert.strictEqual(runs, 2)
      // Two items: a run for each, one interval apart, then quiet again.
      assert.deepStrictEqual(yield* system.injectAsk(ROOT, "QUEUE", { type: "add", n: 2 }), { queued: 2 })
      yield* TestClock.adjust(1_000)
      assert.deepStrictEqual([runs, work], [3, 1])
      yield* TestClock.adjust(1_000)
      assert.deepStrictEqual([runs, work], [4, 0])
      yield* TestClock.adjust(3_600_000)
      assert.strictEqual(runs, 4)
    }).pipe(Effect.scoped)
  })
})
