/**
 * HELIX over the test adapters (ZfsTest's snapshots, an in-memory StateStore)
 * with ORBIT: policies planned and saved only with confirm (kept across a
 * restart), prune as a dry run with a reason for every snapshot and, with
 * confirm, one `zfs destroy` each (never a held snapshot), snapshots planned
 * and taken, the scheduled run registered with ORBIT and taking what is due,
 * stale periods alerted once, a machine without ZFS said plainly, hostile
 * names refused at the boundary.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import { StateStore } from "../../../src/adapters/state/StateStore.ts"
import * as StateStoreTest from "../../../src/adapters/state/StateStoreTest.ts"
import type { Zfs } from "../../../src/adapters/zfs/Zfs.ts"
import * as ZfsTest from "../../../src/adapters/zfs/ZfsTest.ts"
import { defaultHelixConfig, HelixConfig } from "../../../src/actors/helix/config.ts"
import { arbiterAgent } from "../../../src/actors/arbiter/index.ts"
import { helixAgent } from "../../../src/actors/helix/index.ts"
import { autosnapName } from "../../../src/actors/helix/policy.ts"
import { OrbitConfig, orbitAgent } from "../../../src/actors/orbit/index.ts"
import * as ActorSystem from "../../../src/runtime/ActorSystem.ts"
import { ROOT, tree, watch } from "../../support/agents.ts"
import * as StreamsTest from "../../../src/adapters/command/StreamsTest.ts"
import type { PathSnapshots } from "../../../src/adapters/pathsnap/PathSnapshots.ts"
import * as PathSnapshotsLive from "../../../src/adapters/pathsnap/PathSnapshotsLive.ts"
import type { ZfsReplication } from "../../../src/adapters/zfs/Replication.ts"
import * as ReplicationTest from "../../../src/adapters/zfs/ReplicationTest.ts"

/** HELIX's replication ports, unused by these tests (test/actors/helix/replication-agent.test.ts uses them). */
const replicationPorts = Layer.mergeAll(
  ReplicationTest.layer(),
  PathSnapshotsLive.layer(Effect.succeed({ roots: [], forbidden: [] })).pipe(Layer.provide(StreamsTest.make().layer))
)

const NOW = Date.UTC(2026, 11, 7, 14, 30, 0) / 1000
const DAY = 86_400
const fs = (name: string) => ({ name, pool: "tank", type: "filesystem" as const, usedBytes: 0, availableBytes: 0, referencedBytes: 0 })

const zfsModel = () =>
  ZfsTest.model({
    datasets: [fs("tank"), fs("tank/photos"), fs("tank/photos/2026")],
    snapshots: [
      ...[9, 8, 7, 3, 2, 1].map((days) => ({ name: `tank/photos@${autosnapName(NOW - days * DAY, "daily")}`, creation: NOW - days * DAY })),
      { name: "tank/photos@before-upgrade", creation: NOW - 30 * DAY }
    ],
    now: () => NOW
  })

type Reply = Record<string, unknown>

describe("HELIX", () => {
  it.effect("policies: planned, saved with confirm, kept across a restart; an unknown template is refused", () => {
    const zfs = zfsModel()
    return Effect.gen(function*() {
      const store = yield* StateStoreTest.make()
      const start = ActorSystem.make({ root: tree<StateStore | Zfs | ZfsReplication | PathSnapshots>("root", "one_for_one", [helixAgent, arbiterAgent]) }).pipe(
        Effect.provide(Layer.succeed(StateStore, store))
      )
      const system = yield* start
      const ask = (message: Reply) => system.injectAsk(ROOT, "HELIX", message) as Effect.Effect<Reply, { message: string }>
      const planned = yield* ask({ type: "policy", template: "photos", settings: { daily: 3, hourly: 0, monthly: 0 } })
      assert.deepStrictEqual([planned.saved, planned.before, planned.after], [false, null, { daily: 3, hourly: 0, monthly: 0 }])
      assert.isFalse(store.documents.has("helix-policies"))
      yield* ask({ type: "policy", template: "photos", settings: { daily: 3, hourly: 0, monthly: 0 }, confirm: true })
      const unknown = yield* Effect.flip(ask({ type: "policy", dataset: "tank/photos", policy: { templates: ["nosuch"] }, confirm: true }))
      assert.match(unknown.message, /no template named 'nosuch'; templates: photos/)
      const both = yield* Effect.flip(ask({ type: "policy", dataset: "tank/photos", template: "photos" }))
      assert.match(both.message, /name either a dataset or a template/)
      const saved = yield* ask({ type: "policy", dataset: "tank/photos", policy: { templates: ["photos"], recursive: true }, confirm: true })
      assert.deepInclude(saved.effective as Reply, { dataset: "tank/photos", autoprune: true, counts: { frequently: 0, hourly: 0, daily: 3, weekly: 0, monthly: 0, yearly: 0 } })
      const inUse = yield* Effect.flip(ask({ type: "policy", template: "photos", remove: true, confirm: true }))
      assert.match(inUse.message, /'photos' is used by tank\/photos/)

      // A new system over the same store: the policies are back.
      const again = yield* start
      const policies = (yield* again.injectAsk(ROOT, "HELIX", { type: "policies" })) as { policies: { templates: Reply; datasets: Reply } }
      assert.deepStrictEqual(Object.keys(policies.policies.templates), ["photos"])
      assert.deepStrictEqual(policies.policies.datasets, { "tank/photos": { templates: ["photos"], recursive: true } })
    }).pipe(Effect.scoped, Effect.provide(Layer.merge(ZfsTest.layer(zfs), replicationPorts)), Effect.provideService(HelixConfig, { ...defaultHelixConfig, scheduleSnapshots: false }))
  })

  it.effect("prune is a dry run with every snapshot's reason; confirm destroys each pruned one with its own command, never a held one", () => {
    const zfs = zfsModel()
    return Effect.gen(function*() {
      yield* TestClock.setTime(NOW * 1000)
      const system = yield* ActorSystem.make({ root: tree<StateStore | Zfs | ZfsReplication | PathSnapshots>("root", "one_for_one", [helixAgent, arbiterAgent]) })
      const ask = (message: Reply) => system.injectAsk(ROOT, "HELIX", message) as Effect.Effect<Reply, { message: string; _tag: string }>
      yield* ask({ type: "policy", dataset: "tank/photos", policy: { settings: { daily: 2, hourly: 0, monthly: 0 } }, confirm: true })
      const none = yield* Effect.flip(ask({ type: "prune", dataset: "tank/other" }))
      assert.match(none.message, /dataset 'tank\/other' has no snapshot policy/)
      const dry = (yield* ask({ type: "prune", dataset: "tank/photos" })) as { dryRun: boolean; decisions: Array<{ snapshot: string; action: string; reason: string }>; commands: Array<{ display: string; executed: boolean }>; destroyed: Array<string> }
      assert.isTrue(dry.dryRun)
      assert.deepStrictEqual(dry.decisions.map((d) => [d.snapshot.split("@")[1], d.action, d.reason]), [
        ["before-upgrade", "keep", "not an autosnap_…ly snapshot: retention leaves it alone"],
        [autosnapName(NOW - 9 * DAY, "daily"), "prune", "6th newest daily beyond daily=2, and 9 days old, older than 2 × 1 day"],
        [autosnapName(NOW - 8 * DAY, "daily"), "prune", "5th newest daily beyond daily=2, and 8 days old, older than 2 × 1 day"],
        [autosnapName(NOW - 7 * DAY, "daily"), "prune", "4th newest daily beyond daily=2, and 7 days old, older than 2 × 1 day"],
        [autosnapName(NOW - 3 * DAY, "daily"), "prune", "3rd newest daily beyond daily=2, and 3 days old, older than 2 × 1 day"],
        [autosnapName(NOW - 2 * DAY, "daily"), "keep", "2nd newest daily, within daily=2"],
        [autosnapName(NOW - 1 * DAY, "daily"), "keep", "1st newest daily, within daily=2"]
      ])
      assert.deepStrictEqual(dry.commands.map((c) => [c.display, c.executed]), [9, 8, 7, 3].map((d) => [`zfs destroy tank/photos@${autosnapName(NOW - d * DAY, "daily")}`, false]))
      assert.deepStrictEqual(zfs.executed.filter((c) => c[1] !== "list"), [])

      // A replication holding the dataset's lease: a confirmed prune of it is refused, naming the holder; of all, it is skipped.
      const lease = (yield* system.injectAsk(ROOT, "ARBITER", { type: "acquire", resource: "dataset:tank/photos", job: "replication", holder: "HELIX" })) as { id: string }
      const busy = yield* Effect.flip(ask({ type: "prune", dataset: "tank/photos", confirm: true }))
      assert.match(busy.message, /dataset:tank\/photos is busy: HELIX holds dataset:tank\/photos for replication .*prune and replication conflict/)
      const skipped = (yield* ask({ type: "prune", confirm: true })) as { destroyed: Array<string>; failed: Array<{ error: string }> }
      assert.deepStrictEqual(skipped.destroyed, [])
      assert.strictEqual(skipped.failed.length, 4)
      assert.match(skipped.failed[0]!.error, /^not pruned: dataset:tank\/photos is busy/)
      yield* system.injectAsk(ROOT, "ARBITER", { type: "release", lease: lease.id })

      // A hold (the newest common snapshot of a replication pair, say) keeps a snapshot out of pruning.
      const held = `tank/photos@${autosnapName(NOW - 7 * DAY, "daily")}`
      yield* ask({ type: "hold", snapshot: held, tag: "sigmavault-replication", confirm: true })
      const holds = yield* ask({ type: "holds", snapshot: held })
      assert.deepStrictEqual((holds.holds as Array<{ tag: string }>).map((h) => h.tag), ["sigmavault-replication"])
      const applied = (yield* ask({ type: "prune", confirm: true })) as { dryRun: boolean; destroyed: Array<string>; decisions: Array<{ snapshot: string; reason: string }> }
      assert.isFalse(applied.dryRun)
      assert.deepStrictEqual(applied.destroyed, [9, 8, 3].map((d) => `tank/photos@${autosnapName(NOW - d * DAY, "daily")}`))
      assert.strictEqual(applied.decisions.find((d) => d.snapshot === held)!.reason, "held (sigmavault-replication): never pruned, and not counted against the policy's counts")
      assert.deepStrictEqual(zfs.executed.filter((c) => c[1] === "destroy" || c[1] === "hold").map((c) => c.join(" ")), [
        `zfs hold sigmavault-replication ${held}`,
        ...[9, 8, 3].map((d) => `zfs destroy tank/photos@${autosnapName(NOW - d * DAY, "daily")}`)
      ])
      const left = (yield* ask({ type: "snapshots", dataset: "tank/photos" })) as { snapshots: Array<{ snapshot: string; holds: number; period: string | null }> }
      assert.deepStrictEqual(left.snapshots.map((s) => [s.period, s.holds]), [[null, 0], ["daily", 1], ["daily", 0], ["daily", 0]])
    }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(ZfsTest.layer(zfs), replicationPorts, StateStoreTest.layer())), Effect.provideService(HelixConfig, { ...defaultHelixConfig, scheduleSnapshots: false }))
  })

  it.effect("snapshot is planned, then taken with confirm; the scheduled run is registered with ORBIT, takes what is due and autoprunes; a stale period alerts once", () => {
    const zfs = zfsModel()
    return Effect.gen(function*() {
      yield* TestClock.setTime(NOW * 1000)
      const system = yield* ActorSystem.make({ root: tree<StateStore | Zfs | ZfsReplication | PathSnapshots>("root", "one_for_one", [orbitAgent, helixAgent, arbiterAgent]) })
      const events = yield* watch(system)
      const ask = (message: Reply) => system.injectAsk(ROOT, "HELIX", message) as Effect.Effect<Reply, { message: string; _tag: string }>
      const plan = (yield* ask({ type: "snapshot", dataset: "tank/photos", name: "before-update" })) as { snapshot: string; planned: { display: string; executed: boolean } }
      assert.deepStrictEqual([plan.snapshot, plan.planned.display, plan.planned.executed], ["tank/photos@before-update", "zfs snapshot tank/photos@before-update", false])
      const manual = (yield* ask({ type: "snapshot", dataset: "tank", recursive: true, confirm: true })) as { snapshot: string }
      assert.strictEqual(manual.snapshot, "tank@manual_2026-12-07_14:30:00")
      const exists = yield* Effect.flip(ask({ type: "snapshot", dataset: "tank", name: "manual_2026-12-07_14:30:00", confirm: true }))
      assert.strictEqual(exists._tag, "Rejected")
      assert.match(exists.message, /snapshot 'tank@manual_2026-12-07_14:30:00' already exists/)

      // No policy, nothing to schedule; the first dataset policy registers the scheduled run with ORBIT.
      const list = () => system.injectAsk(ROOT, "ORBIT", { type: "list" }) as Effect.Effect<{ schedules: Array<{ name: string; cron: string; target: string; messageType: string }> }>
      assert.deepStrictEqual((yield* list()).schedules, [])
      yield* ask({ type: "policy", dataset: "tank/photos", policy: { settings: { hourly: 24, daily: 2, monthly: 0 } }, confirm: true })
      assert.deepStrictEqual((yield* list()).schedules.map((s) => [s.name, s.cron, s.target, s.messageType]), [["helix-autosnap", "*/15 * * * *", "HELIX", "autosnap"]])
      const overview = (yield* ask({ type: "overview" })) as { zfs: string; due: Array<{ snapshot: string }>; warnings: Array<{ period: string; level: string }> }
      assert.strictEqual(overview.zfs, "available")
      // The newest daily (yesterday 14:30) is older than yesterday's 23:59, and there is no hourly yet.
      assert.deepStrictEqual(overview.due.map((d) => d.snapshot), ["tank/photos@autosnap_2026-12-07_14:30:00_daily", "tank/photos@autosnap_2026-12-07_14:30:00_hourly"])
      assert.deepStrictEqual(overview.warnings.map((w) => [w.period, w.level]), [["hourly", "crit"]])
      const run = (yield* ask({ type: "autosnap", confirm: true })) as { taken: Array<{ display: string }>; prune: { destroyed: Array<string> }; warnings: Array<unknown> }
      assert.deepStrictEqual(run.taken.map((t) => t.display), [
        "zfs snapshot tank/photos@autosnap_2026-12-07_14:30:00_daily",
        "zfs snapshot tank/photos@autosnap_2026-12-07_14:30:00_hourly"
      ])
      assert.strictEqual(run.prune.destroyed.length, 4)
      assert.deepStrictEqual(run.warnings, [])

      // With the schedule removed, seven hours pass without a run: the hourly period goes stale, alerted once.
      yield* system.injectAsk(ROOT, "ORBIT", { type: "remove", name: "helix-autosnap" })
      zfs.now = () => NOW + 7 * 3600
      yield* TestClock.adjust("7 hours")
      // Checked every 15 minutes: a warning past 90 minutes, then critical past 6 hours, each once.
      const warning = yield* events.until((e) => e._tag === "Alert" && e.agent === "HELIX")
      assert.deepInclude(warning, { severity: "warning", subject: "snapshots of tank/photos", code: "HELIX-SNAPSHOTS-STALE" })
      assert.match((warning as { text: string }).text, /newest hourly snapshot is 1\.\d hours old \(should be under 1\.5 hours\)/)
      const critical = yield* events.until((e) => e._tag === "Alert" && e.agent === "HELIX")
      assert.deepInclude(critical, { severity: "critical", subject: "snapshots of tank/photos", code: "HELIX-SNAPSHOTS-OVERDUE" })
      assert.match((critical as { text: string }).text, /newest hourly snapshot is 6\.\d hours old \(should be under 6 hours\)/)
      yield* TestClock.adjust("15 minutes")
      assert.strictEqual(events.seen.filter((e) => e._tag === "Alert" && e.agent === "HELIX").length, 2)
      const status = (yield* ask({ type: "overview" })) as { lastRun: { taken: number; pruned: number } }
      assert.deepStrictEqual([status.lastRun.taken, status.lastRun.pruned], [2, 4])
    }).pipe(
      Effect.scoped,
      Effect.provide(Layer.mergeAll(ZfsTest.layer(zfs), replicationPorts, StateStoreTest.layer())),
      Effect.provideService(OrbitConfig, { timeZone: "UTC", schedules: [] }),
      Effect.provideService(HelixConfig, defaultHelixConfig)
    )
  })

  it.effect("without ZFS the overview says so and changes are refused plainly; hostile names never reach a tool", () => {
    const zfs = zfsModel()
    zfs.installed = false
    return Effect.gen(function*() {
      const system = yield* ActorSystem.make({ root: tree<StateStore | Zfs | ZfsReplication | PathSnapshots>("root", "one_for_one", [helixAgent, arbiterAgent]) })
      const ask = (message: Reply) => system.injectAsk(ROOT, "HELIX", message) as Effect.Effect<Reply, { message: string; _tag: string }>
      const overview = yield* ask({ type: "overview" })
      assert.strictEqual(overview.zfs, "ZFS is not installed (zpool and zfs are not on PATH)")
      const prune = yield* Effect.flip(ask({ type: "prune" }))
      assert.strictEqual(prune.message, "HELIX 'prune': ZFS is not installed (zpool and zfs are not on PATH)")
      for (const [message, field] of [
        [{ type: "snapshot", dataset: "-o" }, "dataset"],
        [{ type: "snapshot", dataset: "tank", name: "-r" }, "name"],
        [{ type: "snapshot", dataset: "tank", name: "a;reboot" }, "name"],
        [{ type: "hold", snapshot: "tank", tag: "keep" }, "snapshot"],
        [{ type: "hold", snapshot: "tank@a", tag: "a b" }, "tag"],
        [{ type: "prune", dataset: "tank/$(id)" }, "dataset"],
        [{ type: "policy", template: "../x", settings: {} }, "template"],
        [{ type: "policy", dataset: "tank", policy: { settings: { daily: -1 } } }, "daily"]
      ] as const) {
        const refused = yield* Effect.flip(ask(message))
        assert.match(refused.message, new RegExp(field), JSON.stringify(message))
        assert.match(refused.message, /InvalidMessage|invalid|expected/i)
      }
      assert.deepStrictEqual(zfs.executed, [])
    }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(ZfsTest.layer(zfs), replicationPorts, StateStoreTest.layer())), Effect.provideService(HelixConfig, { ...defaultHelixConfig, scheduleSnapshots: false }))
  })
})
