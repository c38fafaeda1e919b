import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { neuralAgent } from "../../src/actors/neural/index.ts"
import { makeInMemoryStorage, makeMemoryTest } from "../../src/memory/MemoryTest.ts"
import * as HistoryTest from "../../src/history/HistoryTest.ts"
import { Memory } from "../../src/memory/Memory.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import { fastBackoff, generous, ROOT } from "../support/agents.ts"

const start = (storage = makeInMemoryStorage()) =>
  Effect.flatMap(makeMemoryTest(storage), (memory) =>
    ActorSystem.make({
      root: { name: "root", strategy: "one_for_one", intensity: generous, backoff: fastBackoff, children: [neuralAgent] }
    }).pipe(Effect.provideService(Memory, memory), Effect.provide(HistoryTest.layer())))

describe("NEURAL: MNEMONIC on the wire", () => {
  it.effect("remembers and recalls texts through the validated external path, saying which layer answered", () =>
    Effect.gen(function*() {
      const system = yield* start()
      const ask = (message: unknown) => system.injectAsk(ROOT, "NEURAL", message)
      assert.deepStrictEqual(
        yield* ask({ type: "remember", collection: "alerts", id: "a1", text: "disk sdb (WDC WD40EFRX serial WD-WCC4E1234567): reallocated sector count rose to 8", meta: { disk: "sdb" } }),
        { collection: "alerts", id: "a1", created: true, records: 1 }
      )
      yield* ask({ type: "remember", collection: "alerts", id: "a2", text: "pool tank scrub repaired 0B" })
      const recall = (yield* ask({ type: "recall", collection: "alerts", text: "disk sdb (WDC WD40EFRX serial WD-WCC4E1234567): reallocated sector count rose to 9" })) as {
        layer: string
        matches: ReadonlyArray<{ id: string; meta: unknown; layer: string }>
      }
      assert.strictEqual(recall.layer, "lsh")
      assert.deepStrictEqual(recall.matches.map((m) => [m.id, m.meta, m.layer]), [["a1", { disk: "sdb" }, "lsh"]])
      const similar = (yield* ask({ type: "recall", collection: "alerts", text: "scrub", k: 1, mode: "similar" })) as {
        layer: string
        matches: ReadonlyArray<{ id: string }>
      }
      assert.deepStrictEqual([similar.layer, similar.matches.map((m) => m.id)], ["hnsw", ["a2"]])
      assert.deepStrictEqual(yield* ask({ type: "forget", collection: "alerts", id: "a1" }), { forgotten: true })
      const stats = (yield* ask({ type: "stats" })) as { collections: ReadonlyArray<{ name: string; records: number }> }
      assert.deepStrictEqual(stats.collections.map((c) => [c.name, c.records]), [["alerts", 1]])
    }))

  it.effect("refuses bad requests with the fault named and keeps serving", () =>
    Effect.gen(function*() {
      const system = yield* start()
      const refusal = (message: unknown) => Effect.map(Effect.flip(system.injectAsk(ROOT, "NEURAL", message)), (e) => e.message)
      assert.include(yield* refusal({ type: "recall", collection: "nope", text: "x" }), "no such collection")
      assert.include(yield* refusal({ type: "remember", collection: "Bad Name", id: "x", text: "x" }), "invalid collection name")
      assert.include(yield* refusal({ type: "recall", collection: "c", text: "x", k: 0 }), "k")
      assert.include(yield* refusal({ type: "remember", collection: "c", id: "x", vector: ["a"] }), "vector")
      assert.include(yield* refusal({ type: "get", collection: "nope", id: "x" }), "no such collection")
      yield* system.injectAsk(ROOT, "NEURAL", { type: "remember", collection: "v", id: "x", vector: [1, 2, 3] })
      assert.include(yield* refusal({ type: "get", collection: "v", id: "y" }), "has no record 'y'")
      assert.strictEqual(system.status("NEURAL")?.restarts, 0)
    }))

  it.effect("collections outlive the agent: a new system over the same storage recalls them", () =>
    Effect.gen(function*() {
      const storage = makeInMemoryStorage()
      yield* Effect.scoped(Effect.gen(function*() {
        const system = yield* start(storage)
        yield* system.injectAsk(ROOT, "NEURAL", { type: "create", collection: "smart", kind: "vector", dimension: 3, space: "l2" })
        yield* system.injectAsk(ROOT, "NEURAL", { type: "remember", collection: "smart", id: "sda", vector: [0, 8, 0], meta: { risk: "warn" } })
      }))
      const system = yield* start(storage)
      const found = (yield* system.injectAsk(ROOT, "NEURAL", { type: "recall", collection: "smart", vector: [0, 7, 0], k: 1, mode: "similar" })) as {
        matches: ReadonlyArray<{ id: string; meta: unknown; distance: number }>
      }
      assert.deepStrictEqual(found.matches.map((m) => [m.id, m.meta, m.distance]), [["sda", { risk: "warn" }, 1]])
    }))
})
