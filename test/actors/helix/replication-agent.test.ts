/**
 * HELIX's replication as an agent: `replicate` runs under ARBITER's leases on
 * both datasets (refused naming the holder while a conflicting job holds one),
 * and retention (`prune`) keeps a replication pair's common snapshot, with
 * that as its reason, whatever the policy's counts say.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import { mkdtempSync, rmSync } from "node:fs"
import { join } from "node:path"
import * as StreamsLive from "../../../src/adapters/command/StreamsLive.ts"
import type { PathSnapshots } from "../../../src/adapters/pathsnap/PathSnapshots.ts"
import * as PathSnapshotsLive from "../../../src/adapters/pathsnap/PathSnapshotsLive.ts"
import type { StateStore } from "../../../src/adapters/state/StateStore.ts"
import * as StateStoreTest from "../../../src/adapters/state/StateStoreTest.ts"
import type { ZfsReplication } from "../../../src/adapters/zfs/Replication.ts"
import * as ReplicationTest from "../../../src/adapters/zfs/ReplicationTest.ts"
import type { Zfs } from "../../../src/adapters/zfs/Zfs.ts"
import * as ZfsTest from "../../../src/adapters/zfs/ZfsTest.ts"
import { arbiterAgent } from "../../../src/actors/arbiter/index.ts"
import { defaultHelixConfig, HelixConfig } from "../../../src/actors/helix/config.ts"
import { helixAgent } from "../../../src/actors/helix/index.ts"
import { Helix } from "../../../src/actors/helix/messages.ts"
import type { ReplicationPair, ReplicationPlan } from "../../../src/actors/helix/replicationProtocol.ts"

interface Pruned {
  readonly decisions: ReadonlyArray<{ readonly snapshot: string; readonly action: string; readonly reason: string }>
}
import * as ActorSystem from "../../../src/runtime/ActorSystem.ts"
import { counterAgent, decodedReply, ROOT, tree } from "../../support/agents.ts"

const HOUR = 3600
const NOW = Date.parse("2026-12-07T12:00:00Z") / 1000
const stampOf = (seconds: number) => new Date(seconds * 1000).toISOString().replace("T", "_").slice(0, 19)
const hourly = (ago: number) => `tank/photos@autosnap_${stampOf(NOW - ago * HOUR)}_hourly`

const run = (
  zfs: ZfsTest.ZfsModel,
  replication: ReplicationTest.ReplicationModel,
  body: (system: ActorSystem.ActorSystem) => Effect.Effect<void, unknown, never>
) => {
  const dir = mkdtempSync(`/tmp/sv-helix-agent-${process.pid}-`)
  return Effect.gen(function*() {
    yield* TestClock.setTime(NOW * 1000)
    const system = yield* ActorSystem.make({
      root: tree<StateStore | Zfs | ZfsReplication | PathSnapshots>("root", "one_for_one", [counterAgent("OTHER"), helixAgent, arbiterAgent])
    })
    yield* body(system)
  }).pipe(
    Effect.scoped,
    Effect.provide(Layer.mergeAll(
      ZfsTest.layer(zfs),
      ReplicationTest.layer(replication),
      StateStoreTest.layer(),
      PathSnapshotsLive.layer(Effect.succeed({ roots: [dir], forbidden: [] })).pipe(Layer.provide(StreamsLive.layer()))
    )),
    Effect.provideService(HelixConfig, { ...defaultHelixConfig, scheduleSnapshots: false }),
    Effect.ensuring(Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
  )
}

describe("HELIX replication as an agent", () => {
  it.effect("replicate holds ARBITER's leases on both datasets: a conflicting job on either refuses it, naming the holder", () => {
    const replication = ReplicationTest.model({ "tank/photos": [ReplicationTest.ref("tank/photos@a", "1", 1)] })
    return run(ZfsTest.model(), replication, (system) =>
      Effect.gen(function*() {
        yield* system.injectAsk(ROOT, "ARBITER", { type: "acquire", resource: "dataset:backup/photos", job: "scrub", holder: "OTHER" })
        const refused = yield* Effect.flip(system.injectAsk(ROOT, "HELIX", { type: "replicate", dataset: "tank/photos", target: "backup/photos", confirm: true }))
        assert.include(refused.message, "OTHER holds dataset:backup/photos for scrub")
        assert.deepStrictEqual(replication.executed, [], "nothing was sent")
        yield* system.injectAsk(ROOT, "ARBITER", { type: "release", lease: "lease-1" })
        const wire = yield* system.injectAsk(ROOT, "HELIX", { type: "replicate", dataset: "tank/photos", target: "backup/photos", confirm: true })
        const done = decodedReply(Helix.get("replicate")!, wire) as ReplicationPlan
        assert.deepStrictEqual([done.executed, done.bytes], [true, 1024])
        assert.deepStrictEqual(replication.executed, ["zfs send tank/photos@a | zfs receive -s -F backup/photos"])
        assert.deepStrictEqual([...(replication.holds.get("backup/photos@a") ?? [])], ["sigmavault-repl:backup/photos"])
      }))
  })

  it.effect("prune keeps a replication pair's common snapshot, with that reason, where the policy's counts would prune it", () => {
    const old = hourly(72)
    const zfs = ZfsTest.model({
      snapshots: [72, 3, 2, 1].map((ago) => ({ name: hourly(ago), creation: NOW - ago * HOUR, usedBytes: 0, referencedBytes: 0 }))
    })
    const replication = ReplicationTest.model({ "tank/photos": [ReplicationTest.ref(old, "7", 1)] })
    return run(zfs, replication, (system) =>
      Effect.gen(function*() {
        yield* system.injectAsk(ROOT, "HELIX", { type: "policy", template: "short", settings: { hourly: 1, daily: 0, monthly: 0 }, confirm: true })
        yield* system.injectAsk(ROOT, "HELIX", { type: "policy", dataset: "tank/photos", policy: { templates: ["short"] }, confirm: true })
        const before = decodedReply(Helix.get("prune")!, yield* system.injectAsk(ROOT, "HELIX", { type: "prune", dataset: "tank/photos" })) as Pruned
        assert.strictEqual(before.decisions.find((d) => d.snapshot === old)?.action, "prune")
        yield* system.injectAsk(ROOT, "HELIX", { type: "replicate", dataset: "tank/photos", target: "backup/photos", confirm: true })
        const pairs = decodedReply(Helix.get("replication-pairs")!, yield* system.injectAsk(ROOT, "HELIX", { type: "replication-pairs" })) as { pairs: ReadonlyArray<ReplicationPair> }
        assert.deepStrictEqual(pairs.pairs.map((p) => p.common?.source), [old])
        const after = decodedReply(Helix.get("prune")!, yield* system.injectAsk(ROOT, "HELIX", { type: "prune", dataset: "tank/photos" })) as Pruned
        const kept = after.decisions.find((d) => d.snapshot === old)!
        assert.strictEqual(kept.action, "keep")
        assert.match(kept.reason, /^the newest common snapshot of a replication pair/)
      }))
  })
})
