/**
 * LINGUA as an agent: names read from the agents that have them, a sentence
 * sent with the caller's own rights (a reader cannot scrub through LINGUA;
 * the refusal is the target's), nothing state-changing without confirm, and
 * the lists read again only after their TTL (no timer).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { TestClock } from "effect/testing"
import { linguaAgent } from "../../../src/actors/lingua/index.ts"
import { serviceMachine } from "../../../src/actors/shared/serve.ts"
import { makePolicy } from "../../../src/access/Policy.ts"
import * as ActorSystem from "../../../src/runtime/ActorSystem.ts"
import { type AgentMessage, define } from "../../../src/runtime/Agent.ts"
import type { Caller } from "../../../src/runtime/Caller.ts"
import type { AuditedRequest, Gate } from "../../../src/runtime/Gate.ts"
import * as Protocol from "../../../src/runtime/Protocol.ts"
import { fastBackoff, generous } from "../../support/agents.ts"

const OPERATOR: Caller = { uid: 1000, gid: 500, groups: [], via: "socket" }
const READER: Caller = { uid: 1001, gid: 600, groups: [], via: "socket" }
const ADMIN: Caller = { uid: 0, gid: 0, groups: [], via: "socket" }

/** A stand-in LATTICE: the messages LINGUA reads names with and sends, recording what it receives. */
const StubLattice = Protocol.make("LATTICE", [
  Protocol.message("health", { doc: "pools", access: "read", fields: { pool: Schema.optionalKey(Schema.String) }, reply: Schema.Unknown }),
  Protocol.message("datasets", { doc: "datasets", access: "read", reply: Schema.Unknown }),
  Protocol.message("scrub", { doc: "scrub", access: "operate", fields: { pool: Schema.String, action: Schema.String }, reply: Schema.Unknown }),
  Protocol.message("set", {
    doc: "plan-then-confirm",
    access: "admin",
    fields: { dataset: Schema.String, property: Schema.String, value: Schema.String, confirm: Schema.optionalKey(Schema.Boolean) },
    reply: Schema.Unknown
  })
])

const stubLattice = (received: Array<AgentMessage>) =>
  define({
    protocol: StubLattice,
    tier: "5-8",
    description: "stub",
    capabilities: [],
    machine: serviceMachine(StubLattice, {
      handlers: {
        health: (m) => Effect.sync(() => (received.push(m), { pools: [{ name: "tank" }, { name: "Backup" }] })),
        datasets: (m) => Effect.sync(() => (received.push(m), { datasets: [{ name: "tank" }, { name: "tank/media" }] })),
        scrub: (m) => Effect.sync(() => (received.push(m), { pool: m.pool, action: m.action })),
        set: (m) => Effect.sync(() => (received.push(m), { executed: m.confirm === true }))
      }
    })
  })

const boot = Effect.gen(function*() {
  const received: Array<AgentMessage> = []
  const records: Array<{ caller: Caller; request: AuditedRequest }> = []
  const policy = makePolicy({ read: [{ name: "readers", gid: 600 }], operate: [{ name: "ops", gid: 500 }], admin: [] })
  const gate: Gate = {
    check: (caller, what, access) => policy.check(caller, what, access),
    record: (caller, request) => Effect.sync(() => void records.push({ caller, request })),
    refused: () => {}
  }
  const system = yield* ActorSystem.make({
    root: { name: "root", strategy: "one_for_one", intensity: generous, backoff: fastBackoff, children: [stubLattice(received), linguaAgent] },
    gate
  })
  const ask = (caller: Caller, message: AgentMessage) => system.injectAsk(caller, "LINGUA", message)
  const sent = () => received.filter((m) => m.type !== "health" && m.type !== "datasets")
  const reads = () => received.filter((m) => m.type === "health").length
  return { system, ask, sent, reads, records }
})

describe("LINGUA agent", () => {
  it.effect("parses with names from LATTICE (case kept), and says which lists it could not read", () =>
    Effect.gen(function*() {
      const { ask } = yield* boot
      const parsed = (yield* ask(READER, { type: "parse", text: "is backup healthy?" })) as Record<string, unknown>
      assert.deepStrictEqual(parsed.message, { type: "health", pool: "Backup" })
      assert.strictEqual(parsed.agent, "LATTICE")
      assert.strictEqual(parsed.changesState, false)
      // The other agents are not running here: their lists are unread, and names of those kinds are taken on trust.
      assert.includeMembers((parsed.unread as Array<{ list: string }>).map((u) => u.list), ["share", "peer", "disk"])
      const unknown = yield* Effect.flip(ask(READER, { type: "parse", text: "scrub tonk2" }))
      assert.strictEqual(unknown.message, "LINGUA 'parse': no pool named 'tonk2'; did you mean 'tank'?")
      const lost = yield* Effect.flip(ask(READER, { type: "parse", text: "sing me a song" }))
      assert.match(lost.message, /I did not understand 'sing me a song': no phrasing I know matches it/)
    }).pipe(Effect.scoped))

  it.effect("run: a read is sent at once; a change only with confirm, and with the caller's own rights", () =>
    Effect.gen(function*() {
      const { ask, sent, records } = yield* boot
      const read = (yield* ask(READER, { type: "run", text: "how is tank" })) as Record<string, unknown>
      assert.strictEqual(read.sent, true)
      assert.deepStrictEqual(read.answer, { pools: [{ name: "tank" }, { name: "Backup" }] })

      const plan = (yield* ask(OPERATOR, { type: "run", text: "scrub tank" })) as Record<string, unknown>
      assert.strictEqual(plan.sent, false)
      assert.deepStrictEqual(plan.message, { type: "scrub", pool: "tank", action: "start" })
      assert.deepStrictEqual(sent(), [], "nothing sent without confirm")

      // A reader says it with confirm: LATTICE's own access refuses it, for the reader.
      const refused = yield* Effect.flip(ask(READER, { type: "run", text: "scrub tank", confirm: true }))
      assert.strictEqual(refused.message, "LINGUA 'run': uid 1001 may not send LATTICE 'scrub': it needs operate access, and uid 1001 has read access")
      assert.deepStrictEqual(sent(), [])

      const done = (yield* ask(OPERATOR, { type: "run", text: "srcub tank", confirm: true })) as Record<string, unknown>
      assert.strictEqual(done.sent, true)
      assert.deepStrictEqual(sent(), [{ type: "scrub", pool: "tank", action: "start" }])
      const recorded = records.filter((r) => r.request._tag === "Message" && r.request.agent === "LATTICE")
      assert.deepStrictEqual(recorded.map((r) => r.caller.uid), [1000], "recorded in the ledger as the operator's own request")

      // A plan-then-confirm target gets confirm: true only when the caller confirmed.
      const admin = yield* Effect.flip(ask(OPERATOR, { type: "run", text: "compress tank/media with zstd", confirm: true }))
      assert.match(admin.message, /needs admin access/)
      const set = (yield* ask(ADMIN, { type: "run", text: "compress tank/media with zstd", confirm: true })) as Record<string, unknown>
      assert.deepStrictEqual(set.sentMessage, { type: "set", dataset: "tank/media", property: "compression", value: "zstd", confirm: true })
    }).pipe(Effect.scoped))

  it.effect("reads its lists again only when a sentence arrives after the TTL: nothing runs while idle", () =>
    Effect.gen(function*() {
      const { ask, reads } = yield* boot
      assert.strictEqual(reads(), 0, "nothing is read before a sentence")
      yield* ask(READER, { type: "parse", text: "how are my pools" })
      yield* ask(READER, { type: "parse", text: "is tank healthy" })
      assert.strictEqual(reads(), 1)
      yield* TestClock.adjust("10 minutes")
      assert.strictEqual(reads(), 1, "no timer: idle costs nothing")
      yield* ask(READER, { type: "parse", text: "is tank healthy" })
      assert.strictEqual(reads(), 2)
    }).pipe(Effect.scoped))

  it.effect("phrases lists every intent with examples", () =>
    Effect.gen(function*() {
      const { ask } = yield* boot
      const phrases = (yield* ask(READER, { type: "phrases" })) as Array<{ intent: string; examples: Array<string> }>
      assert.isAbove(phrases.length, 60)
      assert.include(phrases.find((p) => p.intent === "pool-health")!.examples, "health of {pool}")
    }).pipe(Effect.scoped))
})
