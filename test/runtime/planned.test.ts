/**
 * A message declared with `Protocol.planned` is answered by the runtime with an
 * honest NotBuiltYet naming its capability, never by a made-up result; the agent
 * says so in `describe`, and `summary` counts it. Since issue 20 no roster agent
 * has a planned message: this keeps the path that a future capability takes tested.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { serviceMachine } from "../../src/actors/shared/serve.ts"
import { make } from "../../src/runtime/ActorSystem.ts"
import { AgentEnv, define } from "../../src/runtime/Agent.ts"
import * as Protocol from "../../src/runtime/Protocol.ts"
import { decodedReply, tree, ROOT } from "../support/agents.ts"

const Half = Protocol.make("HALF", [
  Protocol.message("built", { doc: "answers", access: "read", reply: Schema.Literal("done") }),
  Protocol.planned("later", { doc: "not yet", access: "operate", capability: "later-work", fields: { name: Schema.String } })
])

const half = define({
  protocol: Half,
  tier: "5-8",
  description: "half built",
  capabilities: [
    { name: "now-work", available: true, detail: "answers built" },
    { name: "later-work", available: false, detail: "does the later work" }
  ],
  machine: Effect.gen(function*() {
    yield* AgentEnv
    return yield* serviceMachine(Half, { handlers: { built: () => Effect.succeed("done" as const) } })
  })
})

const nothing = define({
  protocol: Protocol.make("NOTHING", [Protocol.planned("all", { doc: "everything", access: "read", capability: "all" })]),
  tier: "5-8",
  description: "not built",
  capabilities: [{ name: "all", available: false, detail: "does everything" }]
})

describe("planned messages", () => {
  it.effect("are refused as not built yet with the capability's detail; the agent says partial or planned and keeps running", () =>
    Effect.gen(function*() {
      const system = yield* make({ root: tree("root", "one_for_one", [half, nothing]) })
      assert.strictEqual(yield* system.injectAsk(ROOT, "HALF", { type: "built" }), "done")
      const later = yield* Effect.flip(system.injectAsk(ROOT, "HALF", { type: "later", name: "x" }))
      assert.strictEqual(later._tag, "Rejected")
      assert.strictEqual(later.message, "HALF 'later': not built yet: does the later work (capability 'later-work')")
      if (later._tag === "Rejected") assert.deepStrictEqual(later.rejection, { _tag: "NotBuiltYet", capability: "later-work", detail: "does the later work" })
      const invalid = yield* Effect.flip(system.injectAsk(ROOT, "HALF", { type: "later", name: 42 }))
      assert.strictEqual(invalid._tag, "InvalidMessage", "a planned message's fields are still checked")
      const all = yield* Effect.flip(system.injectAsk(ROOT, "NOTHING", { type: "all" }))
      assert.strictEqual(all.message, "NOTHING 'all': not built yet: does everything (capability 'all')")

      const described = decodedReply(Protocol.Describe, yield* system.injectAsk(ROOT, "HALF", { type: "describe" }))
      assert.strictEqual(described.readiness, "partial")
      assert.isDefined(described.messages["later"]!.planned)
      assert.isUndefined(described.messages["built"]!.planned)
      assert.strictEqual(decodedReply(Protocol.Describe, yield* system.injectAsk(ROOT, "NOTHING", { type: "describe" })).readiness, "planned")
      const summary = system.summary()
      assert.deepStrictEqual([summary.running, summary.planned, summary.escalations.length], [2, 1, 0])
      for (const status of system.agents()) assert.strictEqual(status.restarts, 0, status.name)
    }).pipe(Effect.scoped))
})
