/**
 * OMNISCIENT's `prioritise`: competing jobs ordered by urgency into waves,
 * conflicting ones one after the other, after the leases held now; each place
 * with its reason. The pure order, a property over random requests, and the
 * message through the runtime with ARBITER's real leases.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fc from "fast-check"
import type { StateStore } from "../../../src/adapters/state/StateStore.ts"
import * as StateStoreTest from "../../../src/adapters/state/StateStoreTest.ts"
import { arbiterAgent } from "../../../src/actors/arbiter/index.ts"
import { omniscientAgent } from "../../../src/actors/omniscient/index.ts"
import { Omniscient } from "../../../src/actors/omniscient/messages.ts"
import { prioritise, type Wanted } from "../../../src/actors/omniscient/prioritise.ts"
import { clash, LEASE_JOBS, PRIORITY } from "../../../src/actors/shared/leaseRules.ts"
import * as ActorSystem from "../../../src/runtime/ActorSystem.ts"
import { counterAgent, decodedReply, ROOT, tree } from "../../support/agents.ts"

describe("prioritise", () => {
  it("resilver before scrub before replication before benchmark; conflicting jobs in successive waves; others share a wave", () => {
    const order = prioritise([
      { job: "benchmark", resource: "pool:tank", agent: "VELOCITY" },
      { job: "replication", resource: "dataset:tank/photos" },
      { job: "scrub", resource: "pool:tank" },
      { job: "resilver", resource: "pool:tank" },
      { job: "scrub", resource: "pool:backup" }
    ], [])
    assert.deepStrictEqual(order.map((p) => `${p.position} w${p.wave} ${p.job} ${p.resource}`), [
      "1 w1 resilver pool:tank",
      "2 w1 scrub pool:backup",
      "3 w2 scrub pool:tank",
      "4 w3 replication dataset:tank/photos",
      "5 w4 benchmark pool:tank"
    ])
    assert.include(order[0]!.reason, "resilver is urgency 1 of 9")
    assert.include(order[0]!.reason, "it can start now")
    assert.deepStrictEqual(order[2]!.waitsFor, ["#4 resilver on pool:tank"])
    assert.include(order[2]!.reason, "ZFS does not scrub while it resilvers")
    assert.strictEqual(order[4]!.agent, "VELOCITY")
  })

  it("a job that conflicts with a lease held now waits for it, naming it", () => {
    const order = prioritise([{ job: "benchmark", resource: "dataset:tank/vm" }, { job: "verify", resource: "path:/srv" }], [
      { id: "lease-3", job: "scrub", resource: "pool:tank", holder: "LATTICE", expiresAt: "2026-12-07T13:00:00.000Z" }
    ])
    assert.deepStrictEqual(order.map((p) => `w${p.wave} ${p.job}`), ["w1 verify", "w2 benchmark"])
    assert.deepStrictEqual(order[1]!.waitsFor, ["lease-3 (LATTICE scrub on pool:tank until 2026-12-07T13:00:00.000Z)"])
  })

  it("property: no two jobs of a wave conflict, every wave-1 job is free of the leases, and a job never precedes a more urgent one it conflicts with", () => {
    const resource = fc.constantFrom("pool:tank", "pool:backup", "dataset:tank/a", "dataset:tank/a/b", "path:/srv", "path:/srv/x", "network", "disk:sda")
    const wanted = fc.array(fc.record({ job: fc.constantFrom(...LEASE_JOBS), resource }), { minLength: 1, maxLength: 12 })
    const held = fc.array(fc.record({ job: fc.constantFrom(...LEASE_JOBS), resource }), { maxLength: 4 }).map((ls) =>
      ls.map((l, i) => ({ ...l, id: `lease-${i + 1}`, holder: "X", expiresAt: "2026-12-07T13:00:00.000Z" })))
    fc.assert(fc.property(wanted, held, (jobs: ReadonlyArray<Wanted>, leases) => {
      const order = prioritise(jobs, leases)
      assert.lengthOf(order, jobs.length)
      assert.deepStrictEqual(order.map((p) => p.position), order.map((_, i) => i + 1))
      for (const a of order) {
        if (a.wave === 1) for (const l of leases) assert.isUndefined(clash(a, l))
        for (const b of order) {
          if (a === b || clash(a, b) === undefined) continue
          assert.notStrictEqual(a.wave, b.wave, "conflicting jobs share a wave")
          if (PRIORITY[a.job].rank < PRIORITY[b.job].rank) assert.isBelow(a.wave, b.wave)
        }
      }
    }), { numRuns: 500 })
  })

  it.effect("through the runtime, with ARBITER's leases; refused honestly without ARBITER", () =>
    Effect.gen(function*() {
      const system = yield* ActorSystem.make({ root: tree<StateStore>("root", "one_for_one", [omniscientAgent, counterAgent("HOLDER"), arbiterAgent]) })
      yield* system.injectAsk(ROOT, "ARBITER", { type: "acquire", resource: "pool:tank", job: "scrub", holder: "HOLDER" })
      const reply = decodedReply(Omniscient.get("prioritise")!, yield* system.injectAsk(ROOT, "OMNISCIENT", {
        type: "prioritise",
        jobs: [{ job: "benchmark", resource: "pool:tank" }, { job: "snapshot", resource: "dataset:tank/photos" }]
      })) as { leases: number; order: ReadonlyArray<{ job: string; wave: number; waitsFor: ReadonlyArray<string> }> }
      assert.strictEqual(reply.leases, 1)
      assert.deepStrictEqual(reply.order.map((p) => `w${p.wave} ${p.job}`), ["w1 snapshot", "w2 benchmark"])
      assert.match(reply.order[1]!.waitsFor[0]!, /^lease-1 \(HOLDER scrub on pool:tank until /)
      const hostile = yield* Effect.flip(system.injectAsk(ROOT, "OMNISCIENT", { type: "prioritise", jobs: [{ job: "scrub", resource: "pool:-x" }] }))
      assert.strictEqual(hostile._tag, "InvalidMessage")
      yield* system.operate(ROOT, "ARBITER", "stop")
      const alone = yield* Effect.flip(system.injectAsk(ROOT, "OMNISCIENT", { type: "prioritise", jobs: [{ job: "scrub", resource: "pool:tank" }] }))
      assert.include(alone.message, "ARBITER could not help")
    }).pipe(Effect.scoped, Effect.provide(StateStoreTest.layer())))
})
