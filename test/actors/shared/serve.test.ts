/**
 * serviceMachine when the asker gives up: the handler's work is stopped
 * (its finalizers run), nobody is answered, nothing is logged as a protocol
 * violation, and the agent takes the next message at once.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Logger, Schema } from "effect"
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
})
