/**
 * LATTICE's scrubs under ARBITER's leases: a scrub takes `pool:<pool>` before
 * `zpool scrub` runs (refused naming the holder while a conflicting job holds
 * the pool), holds it while the pool reports the scrub running — renewed by
 * each health poll — and gives it back when the scrub finishes, is paused or
 * stopped. A scrub or resilver found running without a lease is given one,
 * also after LATTICE restarts.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Result } from "effect"
import { TestClock } from "effect/testing"
import type { StateStore } from "../../../src/adapters/state/StateStore.ts"
import * as StateStoreTest from "../../../src/adapters/state/StateStoreTest.ts"
import type { Zfs } from "../../../src/adapters/zfs/Zfs.ts"
import { parseDatasetList, parsePoolList, parsePoolStatus } from "../../../src/adapters/zfs/parse.ts"
import * as ZfsTest from "../../../src/adapters/zfs/ZfsTest.ts"
import { arbiterAgent } from "../../../src/actors/arbiter/index.ts"
import { Arbiter, type Lease } from "../../../src/actors/arbiter/messages.ts"
import { defaultLatticeConfig, LatticeConfig } from "../../../src/actors/lattice/config.ts"
import { latticeAgent } from "../../../src/actors/lattice/index.ts"
import * as ActorSystem from "../../../src/runtime/ActorSystem.ts"
import type { MetricHistory } from "../../../src/history/History.ts"
import * as HistoryTest from "../../../src/history/HistoryTest.ts"
import { counterAgent, decodedReply, ROOT, tree } from "../../support/agents.ts"

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "../../fixtures/zfs", name), "utf8")
const statuses = (name: string) => [...Result.getOrThrow(parsePoolStatus(fixture(name)))]

const model = (status = "status-mirror-healthy.json") =>
  ZfsTest.model({
    summaries: [...Result.getOrThrow(parsePoolList(fixture("list.int.json")))],
    statuses: statuses(status),
    datasets: [...Result.getOrThrow(parseDatasetList(fixture("datasets.int.json")))]
  })

const run = (zfs: ZfsTest.ZfsModel, body: (system: ActorSystem.ActorSystem) => Effect.Effect<void, unknown, never>) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(Date.parse("2026-12-07T12:00:00Z"))
    const system = yield* ActorSystem.make({
      root: tree<StateStore | Zfs | MetricHistory>("root", "one_for_one", [counterAgent("OTHER"), latticeAgent, arbiterAgent])
    })
    yield* body(system)
  }).pipe(
    Effect.scoped,
    Effect.provide(Layer.mergeAll(ZfsTest.layer(zfs), StateStoreTest.layer(), HistoryTest.layer())),
    Effect.provideService(LatticeConfig, { ...defaultLatticeConfig, scheduleScrubs: false })
  )

const leasesOf = (system: ActorSystem.ActorSystem) =>
  Effect.map(system.injectAsk(ROOT, "ARBITER", { type: "leases" }), (wire) =>
    (decodedReply(Arbiter.get("leases")!, wire) as { leases: ReadonlyArray<Lease> }).leases.map((l) => `${l.holder} ${l.job} ${l.resource}`))

const scrub = (system: ActorSystem.ActorSystem, action: string) => system.injectAsk(ROOT, "LATTICE", { type: "scrub", pool: "tank", action })

/** Lets LATTICE poll `times` times (its interval is a minute). */
const polls = (times: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < times * 61; i++) yield* TestClock.adjust(1_000)
  })

describe("LATTICE scrubs under leases", () => {
  it.effect("a scrub holds pool:<pool> while it runs, renewed by the polls, released when it finishes", () => {
    const zfs = model()
    return run(zfs, (system) =>
      Effect.gen(function*() {
        yield* scrub(system, "start")
        assert.deepStrictEqual(yield* leasesOf(system), ["LATTICE scrub pool:tank"])
        const refused = yield* Effect.flip(system.injectAsk(ROOT, "ARBITER", { type: "acquire", resource: "dataset:tank/photos", job: "benchmark", holder: "OTHER" }))
        assert.include(refused.message, "LATTICE holds pool:tank for scrub")
        // Ten minutes: twice the lease's time to live, kept alive by the polls.
        yield* polls(10)
        assert.deepStrictEqual(yield* leasesOf(system), ["LATTICE scrub pool:tank"])
        zfs.statuses = zfs.statuses.map((s) => ({ ...s, scan: { ...s.scan, state: "finished" as const } }))
        yield* polls(1)
        assert.deepStrictEqual(yield* leasesOf(system), [])
      }))
  })

  it.effect("a scrub is refused, naming the holder, while a conflicting job holds the pool; pause and stop give the lease back", () => {
    const zfs = model()
    return run(zfs, (system) =>
      Effect.gen(function*() {
        yield* system.injectAsk(ROOT, "ARBITER", { type: "acquire", resource: "dataset:tank/photos", job: "benchmark", holder: "OTHER" })
        const refused = yield* Effect.flip(scrub(system, "start"))
        assert.include(refused.message, "OTHER holds dataset:tank/photos for benchmark")
        assert.deepStrictEqual(zfs.executed, [], "zpool scrub did not run")
        yield* system.injectAsk(ROOT, "ARBITER", { type: "release", lease: "lease-1" })
        yield* scrub(system, "start")
        yield* scrub(system, "pause")
        assert.deepStrictEqual(yield* leasesOf(system), [])
        yield* scrub(system, "start")
        assert.deepStrictEqual(yield* leasesOf(system), ["LATTICE scrub pool:tank"])
        // A second start of a running scrub fails in zpool and keeps the lease.
        yield* Effect.flip(scrub(system, "start"))
        assert.deepStrictEqual(yield* leasesOf(system), ["LATTICE scrub pool:tank"])
        yield* scrub(system, "stop")
        assert.deepStrictEqual(yield* leasesOf(system), [])
        assert.deepStrictEqual(zfs.executed.map((c) => c.join(" ")), [
          "zpool scrub tank", "zpool scrub -p tank", "zpool scrub tank", "zpool scrub tank", "zpool scrub -s tank"
        ])
      }))
  })

  it.effect("a resilver found running is given a lease; after LATTICE restarts the new incarnation takes it again", () => {
    const zfs = model("status-resilvering.int.json")
    return run(zfs, (system) =>
      Effect.gen(function*() {
        yield* TestClock.adjust(1_000)
        assert.deepStrictEqual(yield* leasesOf(system), ["LATTICE resilver pool:tank"])
        const first = (decodedReply(Arbiter.get("leases")!, yield* system.injectAsk(ROOT, "ARBITER", { type: "leases" })) as { leases: ReadonlyArray<Lease> }).leases
        const refused = yield* Effect.flip(scrub(system, "start"))
        assert.include(refused.message, "LATTICE holds pool:tank for resilver")
        yield* system.operate(ROOT, "LATTICE", "restart")
        yield* TestClock.adjust(1_000)
        const before = (decodedReply(Arbiter.get("leases")!, yield* system.injectAsk(ROOT, "ARBITER", { type: "leases" })) as { leases: ReadonlyArray<Lease> }).leases
        assert.deepStrictEqual(before.map((l) => `${l.holder} ${l.job}`), ["LATTICE resilver"])
        assert.notStrictEqual(before[0]!.id, first[0]!.id, "a new lease for the new incarnation")
      }))
  })
})
