/**
 * The local-model fallback against a tiny chat-completions server in this
 * test (127.0.0.1, an ephemeral port; no network, no model): a sentence the
 * grammar does not know is sent to it, its answer checked with the target's
 * schema; a state-changing answer is still not sent without confirm; a
 * non-loopback endpoint is refused.
 */
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { assert, describe, it } from "@effect/vitest"
import { afterAll, beforeAll } from "vitest"
import { Effect, Schema } from "effect"
import { Llm, loopbackProblem } from "../../../src/adapters/llm/Llm.ts"
import * as LlmLive from "../../../src/adapters/llm/LlmLive.ts"
import { linguaAgent } from "../../../src/actors/lingua/index.ts"
import { fromModel } from "../../../src/actors/lingua/understand.ts"
import { serviceMachine } from "../../../src/actors/shared/serve.ts"
import * as ActorSystem from "../../../src/runtime/ActorSystem.ts"
import { type AgentMessage, define } from "../../../src/runtime/Agent.ts"
import * as Protocol from "../../../src/runtime/Protocol.ts"
import { fastBackoff, generous, ROOT } from "../../support/agents.ts"

const answers: Record<string, string> = {
  "give me the lowdown on my storage": '```json\n{"agent": "LATTICE", "message": {"type": "health"}}\n```',
  "kick off an integrity pass on tank": '{"agent":"LATTICE","message":{"type":"scrub","pool":"tank","action":"start","confirm":true}}',
  "make it so": '{"agent":"LATTICE","message":{"type":"scrub","pool":"tank"}}',
  "hello there": '{"agent": null}'
}
const requests: Array<{ messages: Array<{ role: string; content: string }> }> = []
let server: Server
let url = ""

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = ""
    req.on("data", (d) => (body += d))
    req.on("end", () => {
      const parsed = JSON.parse(body)
      requests.push(parsed)
      const user = parsed.messages.find((m: { role: string }) => m.role === "user").content as string
      const content = answers[user] ?? "I am not sure."
      res.setHeader("content-type", "application/json")
      res.end(JSON.stringify({ id: "x", object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }] }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

const StubLattice = Protocol.make("LATTICE", [
  Protocol.message("health", { doc: "pools", access: "read", fields: { pool: Schema.optionalKey(Schema.String) }, reply: Schema.Unknown }),
  Protocol.message("scrub", { doc: "scrub", access: "operate", fields: { pool: Schema.String, action: Schema.Literals(["start", "stop"]) }, reply: Schema.Unknown })
])

const boot = (endpoint: () => string) =>
  Effect.gen(function*() {
    const received: Array<AgentMessage> = []
    const lattice = define({
      protocol: StubLattice,
      tier: "5-8",
      description: "stub",
      capabilities: [],
      machine: serviceMachine(StubLattice, {
        handlers: {
          health: (m) => Effect.sync(() => (received.push(m), { pools: [{ name: "tank" }] })),
          scrub: (m) => Effect.sync(() => (received.push(m), { ok: true }))
        }
      })
    })
    const system = yield* ActorSystem.make({
      root: { name: "root", strategy: "one_for_one", intensity: generous, backoff: fastBackoff, children: [lattice, linguaAgent] }
    }).pipe(Effect.provideService(Llm, LlmLive.make(endpoint())))
    return { system, received, ask: (message: AgentMessage) => system.injectAsk(ROOT, "LINGUA", message, { timeoutMs: 20_000 }) }
  })

describe("LINGUA's local-model fallback", () => {
  it.effect("a sentence the grammar does not know goes to the model; its answer is schema-checked and used", () =>
    Effect.gen(function*() {
      const { ask } = yield* boot(() => url)
      const parsed = (yield* ask({ type: "parse", text: "give me the lowdown on my storage" })) as Record<string, unknown>
      assert.deepStrictEqual([parsed.agent, parsed.message, parsed.intent, parsed.confidence], ["LATTICE", { type: "health" }, "local-llm", 0.5])
      const last = requests[requests.length - 1]!
      assert.include(last.messages[0]!.content, 'LATTICE {"type":"scrub","pool":"{pool}","action":"start"}')
      assert.include(last.messages[0]!.content, "pool: tank")
      // The grammar's own sentences never reach the model.
      const before = requests.length
      yield* ask({ type: "parse", text: "how are my pools" })
      assert.strictEqual(requests.length, before)
    }).pipe(Effect.scoped))

  it.effect("a state-changing answer is not sent without confirm, and the model's own confirm is dropped", () =>
    Effect.gen(function*() {
      const { ask, received } = yield* boot(() => url)
      const ran = (yield* ask({ type: "run", text: "kick off an integrity pass on tank" })) as Record<string, unknown>
      assert.strictEqual(ran.sent, false)
      assert.strictEqual(ran.changesState, true)
      assert.deepStrictEqual(ran.message, { type: "scrub", pool: "tank", action: "start" })
      assert.deepStrictEqual(received.filter((m) => m.type === "scrub"), [])
      const sent = (yield* ask({ type: "run", text: "kick off an integrity pass on tank", confirm: true })) as Record<string, unknown>
      assert.strictEqual(sent.sent, true)
      assert.deepStrictEqual(received.filter((m) => m.type === "scrub"), [{ type: "scrub", pool: "tank", action: "start" }])
    }).pipe(Effect.scoped))

  it.effect("an answer the target's schema refuses, no answer, or no endpoint: NotUnderstood saying why", () =>
    Effect.gen(function*() {
      const { ask } = yield* boot(() => url)
      const invalid = yield* Effect.flip(ask({ type: "parse", text: "make it so" }))
      assert.include(invalid.message, "the local model: it proposed LATTICE")
      assert.include(invalid.message, "which LATTICE would refuse")
      const none = yield* Effect.flip(ask({ type: "parse", text: "hello there" }))
      assert.include(none.message, "the local model: it found no message for the sentence")
      const vague = yield* Effect.flip(ask({ type: "parse", text: "what is the meaning of life" }))
      assert.include(vague.message, "its answer holds no JSON object")
    }).pipe(Effect.scoped))

  it.effect("a non-loopback endpoint is refused before anything is sent", () =>
    Effect.gen(function*() {
      const { ask } = yield* boot(() => "http://192.0.2.1/v1/chat/completions")
      const refused = yield* Effect.flip(ask({ type: "parse", text: "give me the lowdown on my storage" }))
      assert.include(refused.message, "'192.0.2.1' is not a loopback host")
    }).pipe(Effect.scoped))

  it("loopback check and the model's answer read", () => {
    assert.isUndefined(loopbackProblem("http://127.0.0.1:8080/v1/chat/completions"))
    assert.isUndefined(loopbackProblem("http://localhost:11434/v1/chat/completions"))
    assert.isUndefined(loopbackProblem("http://[::1]:8080/v1/chat/completions"))
    assert.include(loopbackProblem("http://example.com/v1")!, "not a loopback host")
    assert.include(loopbackProblem("http://user:pw@127.0.0.1/")!, "credentials")
    assert.include(loopbackProblem("file:///etc/passwd")!, "not http")
    assert.deepStrictEqual(fromModel('{"agent":"core","message":{"type":"facts"}}'), { agent: "CORE", message: { type: "facts" } })
    assert.strictEqual(fromModel("no"), "its answer holds no JSON object")
  })
})
