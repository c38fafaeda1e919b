/**
 * NEXUS as an agent, on the test clock: Alert events from the inspection
 * stream (as the agents raise them) grouped with VERTEX's real topology (test
 * adapters with the NAS fixtures), Incident notifications, acknowledge,
 * silences and their expiry, resolution, the feed's loss count, and the
 * incidents and silences kept across a restart of the daemon.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Result } from "effect"
import { TestClock } from "effect/testing"
import { parseLsblk } from "../../../src/adapters/disks/parse.ts"
import * as DisksTest from "../../../src/adapters/disks/DisksTest.ts"
import { StateStore } from "../../../src/adapters/state/StateStore.ts"
import * as StateStoreTest from "../../../src/adapters/state/StateStoreTest.ts"
import type { Disks } from "../../../src/adapters/disks/Disks.ts"
import type { Zfs } from "../../../src/adapters/zfs/Zfs.ts"
import type { MetricHistory } from "../../../src/history/History.ts"
import * as HistoryTest from "../../../src/history/HistoryTest.ts"
import { parseDatasetList, parsePoolList, parsePoolStatus } from "../../../src/adapters/zfs/parse.ts"
import * as ZfsTest from "../../../src/adapters/zfs/ZfsTest.ts"
import { defaultNexusConfig, NexusConfig } from "../../../src/actors/nexus/config.ts"
import { nexusAgent } from "../../../src/actors/nexus/index.ts"
import { Nexus } from "../../../src/actors/nexus/messages.ts"
import { vertexAgent } from "../../../src/actors/vertex/index.ts"
import { defaultLatticeConfig, LatticeConfig } from "../../../src/actors/lattice/config.ts"
import { latticeAgent } from "../../../src/actors/lattice/index.ts"
import * as ActorSystem from "../../../src/runtime/ActorSystem.ts"
import type { InspectionEvent } from "../../../src/runtime/Inspection.ts"
import * as Protocol from "../../../src/runtime/Protocol.ts"
import { decodedReply, fastBackoff, generous, ROOT, watch } from "../../support/agents.ts"

const fixture = (dir: string, name: string) => readFileSync(join(import.meta.dirname, "../../fixtures", dir, name), "utf8")
const T0 = Date.UTC(2026, 0, 5, 3, 0, 0)
const SDB = "ata-WDC_WD40EFRX-68N32N0_WD-WCC7K2GHIJKL"

const adapters = Layer.mergeAll(
  HistoryTest.layer(),
  DisksTest.layer({ devices: [...Result.getOrThrow(parseLsblk(fixture("lsblk", "nas-4hdd-nvme-usb.json")))] }),
  ZfsTest.layer(ZfsTest.model({
    statuses: [...Result.getOrThrow(parsePoolStatus(fixture("zfs", "status-mirror-healthy.int.json")))],
    datasets: [...Result.getOrThrow(parseDatasetList(fixture("zfs", "datasets.int.json")))]
  }))
)

const message = (type: string) => Nexus.get(type)!

const bootWith = (withLattice: boolean) => Effect.gen(function*() {
  const root: ActorSystem.SupervisorNode<StateStore | Disks | Zfs | MetricHistory> = {
    name: "root",
    strategy: "one_for_one",
    intensity: generous,
    backoff: fastBackoff,
    children: withLattice ? [vertexAgent, nexusAgent, latticeAgent] : [vertexAgent, nexusAgent]
  }
  const system = yield* ActorSystem.make({ root })
  const events = yield* watch(system)
  const ask = <T extends string>(type: T, fields: Record<string, unknown> = {}) =>
    Effect.map(system.injectAsk(ROOT, "NEXUS", { type, ...fields }), (wire) => decodedReply(message(type), wire) as any)
  const raise = (agent: string, severity: "info" | "warning" | "critical", subject: string, text: string) =>
    system.inspection.publish({ _tag: "Alert", agent, severity, subject, text })
  /** Waits until NEXUS has taken in `n` alerts in all (its feed runs in a fiber of its own). */
  const received = (n: number): Effect.Effect<void, unknown> =>
    Effect.flatMap(ask("incidents"), (reply) =>
      reply.feed.received + reply.feed.lost >= n ? Effect.void : Effect.andThen(Effect.yieldNow, received(n)))
  return { system, events, ask, raise, received }
})
const boot = bootWith(false)

const incident = (state: string) => (e: InspectionEvent) => e._tag === "Incident" && e.state === state

describe("NEXUS agent", () => {
  it.effect("a cascade with noise: one incident rooted at the disk, notified once after group_wait; acknowledge, silence, resolution, restart", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const first = yield* boot
      yield* first.raise("ORACLE", "critical", "/dev/sdb", "/dev/sdb (WDC WD40EFRX-68N32N0, serial WD-WCC7K2GHIJKL): critical, score 100: reallocated sectors")
      yield* first.raise("SENTRY", "warning", "cpu", "alert raised: cpu at 97.0% busy, at or above 90 for 3 consecutive samples")
      yield* first.raise("LATTICE", "warning", "pool tank", `tank: mirror-0/${SDB} is FAULTED`)
      yield* first.raise("LATTICE", "warning", "pool tank", "tank: mirror-0 is DEGRADED")
      yield* first.raise("LATTICE", "warning", "pool tank", "pool tank is DEGRADED: One or more devices are faulted")
      yield* first.raise("HELIX", "warning", "snapshots of tank/photos", "no snapshot of tank/photos for 2 days")
      yield* first.raise("ORACLE", "critical", "/dev/sdb", "/dev/sdb (WDC WD40EFRX-68N32N0, serial WD-WCC7K2GHIJKL): critical, score 100: reallocated sectors")
      yield* first.received(7)
      yield* TestClock.adjust(29_000)
      assert.isFalse(first.events.seen.some(incident("opened")), "nothing before group_wait")
      yield* TestClock.adjust(1_000)
      const opened = [yield* first.events.until(incident("opened")), yield* first.events.until(incident("opened"))]
      assert.deepStrictEqual(opened.map((e) => e._tag === "Incident" ? [e.id, e.subject, e.severity, e.alerts] : []), [
        ["inc-1", "disk /dev/sdb", "critical", 5],
        ["inc-2", "cpu", "warning", 1]
      ])

      const listed = yield* first.ask("incidents")
      assert.deepStrictEqual(listed.incidents.map((i: any) => [i.id, i.root, i.raised, i.inhibited]), [["inc-2", "subject:cpu", 1, 0], ["inc-1", "disk:/dev/sdb", 6, 4]])
      assert.strictEqual(listed.feed.lost, 0)
      assert.strictEqual(listed.feed.deduplicated, 1)
      assert.match(listed.feed.topology, /^VERTEX \(\d+ nodes\)/)
      const detail = yield* first.ask("incident", { id: "inc-1" })
      assert.deepStrictEqual(detail.alerts.map((a: any) => [a.agent, a.entity, a.count, a.inhibited]), [
        ["ORACLE", "disk:/dev/sdb", 2, false],
        ["LATTICE", `vdev:tank/mirror-0/${SDB}`, 1, true],
        ["LATTICE", "vdev:tank/mirror-0", 1, true],
        ["LATTICE", "pool:tank", 1, true],
        ["HELIX", "dataset:tank/photos", 1, true]
      ])

      // Acknowledge: planned, then applied (one notification).
      const plan = yield* first.ask("acknowledge", { id: "inc-1" })
      assert.isFalse(plan.applied)
      assert.match(plan.plan, /record that uid:0 has seen inc-1/)
      const acked = yield* first.ask("acknowledge", { id: "inc-1", confirm: true })
      assert.isTrue(acked.applied)
      assert.strictEqual((yield* first.events.until(incident("acknowledged")))._tag, "Incident")
      const missing = yield* Effect.flip(first.system.injectAsk(ROOT, "NEXUS", { type: "acknowledge", id: "inc-9", confirm: true }))
      assert.include(missing.message, "no incident 'inc-9'")

      // A silence on SENTRY: the open cpu incident goes quiet, new cpu alerts are counted.
      const bad = yield* Effect.flip(first.system.injectAsk(ROOT, "NEXUS", { type: "silence", subject: "*", reason: "all", expiresInSeconds: 600, confirm: true }))
      assert.include(bad.message, "bad silence matcher 'subject'")
      const silence = yield* first.ask("silence", { agent: "SENTRY", reason: "load test", expiresInSeconds: 600, confirm: true })
      assert.deepStrictEqual([silence.silence.id, silence.applied, silence.matches], ["sil-1", true, { firing: 1, incidents: ["inc-2"] }])
      assert.strictEqual((yield* first.events.until(incident("silenced"))).at, T0 + 30_000)
      yield* first.raise("SENTRY", "critical", "cpu", "alert raised: cpu at 100.0% busy, at or above 98 for 3 consecutive samples")
      yield* first.received(8)
      assert.deepStrictEqual((yield* first.ask("silences")).silences.map((s: any) => [s.id, s.silenced]), [["sil-1", 1]])
      yield* TestClock.adjust(600_000)
      assert.deepStrictEqual(yield* first.ask("silences"), { silences: [], expired: 1 })
      // The silence is over; the alert it kept out is not news afterwards.
      assert.isFalse(first.events.seen.some(incident("updated")))

      // The causes recover: the dataset's alert (HELIX never announces recovery) clears with them; one "resolved".
      yield* first.raise("ORACLE", "info", "/dev/sdb", "/dev/sdb: back to ok")
      yield* first.raise("LATTICE", "warning", "pool tank", `tank: mirror-0/${SDB} is ONLINE (was FAULTED)`)
      yield* first.raise("LATTICE", "warning", "pool tank", "tank: mirror-0 is ONLINE (was DEGRADED)")
      yield* first.raise("LATTICE", "info", "pool tank", "pool tank is ONLINE (was DEGRADED)")
      yield* first.received(12)
      const resolved = yield* first.events.until(incident("resolved"))
      assert.strictEqual(resolved._tag === "Incident" ? resolved.id : "", "inc-1")
      const notices = first.events.seen.filter((e) => e._tag === "Incident" && e.id === "inc-1").map((e) => e._tag === "Incident" ? e.state : "")
      assert.deepStrictEqual(notices, ["opened", "acknowledged", "resolved"])

      // A last silence, kept across the restart with the incidents.
      yield* first.ask("silence", { agent: "PHOTON", subject: "link eth*", reason: "cabling", expiresInSeconds: 3600, confirm: true })
      yield* first.system.shutdown()
      const second = yield* boot
      const all = yield* second.ask("incidents", { open: false })
      assert.deepStrictEqual(all.incidents.map((i: any) => [i.id, i.state, i.acknowledged?.by ?? null, i.notifications]), [
        ["inc-2", "open", null, 2],
        ["inc-1", "resolved", "uid:0", 3]
      ])
      assert.deepStrictEqual((yield* second.ask("silences")).silences.map((s: any) => [s.id, s.subject]), [["sil-2", "link eth*"]])
      const store = yield* StateStore
      const stored = yield* store.read("nexus")
      assert.strictEqual(stored._tag, "Some")
      // Nothing already notified is notified again by the new daemon.
      yield* TestClock.adjust(3_600_000)
      yield* second.ask("incidents")
      assert.deepStrictEqual(second.events.seen.filter((e) => e._tag === "Incident"), [])
    }).pipe(Effect.scoped, Effect.provide(Layer.merge(adapters, StateStoreTest.layer()))))

  it.effect("LATTICE's own alerts on a degraded raidz1 (pool, vdev, a FAULTED disk, errors on another) are one incident rooted at the FAULTED device", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const sys = yield* bootWith(true)
      yield* sys.raise("SENTRY", "warning", "load", "alert raised: load at 6.7 load per CPU, at or above 2")
      yield* sys.received(6)
      yield* TestClock.adjust(30_000)
      yield* sys.events.until(incident("opened"))
      yield* sys.events.until(incident("opened"))
      const opened = sys.events.seen.filter(incident("opened")).map((e) => e._tag === "Incident" ? [e.subject, e.severity, e.alerts] : [])
      assert.sameDeepMembers(opened, [["load", "warning", 1], ["vdev tank/raidz1-0/sdb", "warning", 4]])
      const listed = yield* sys.ask("incidents")
      const tank = listed.incidents.find((i: any) => i.root === "vdev:tank/raidz1-0/sdb")
      assert.deepStrictEqual([tank.raised, tank.firing, tank.notifications], [5, 4, 1])
      const detail = yield* sys.ask("incident", { id: tank.id })
      assert.deepStrictEqual(detail.alerts.map((a: any) => [a.entity, a.count]), [
        ["pool:tank", 1],
        ["vdev:tank/raidz1-0", 1],
        ["vdev:tank/raidz1-0/sdb", 2],
        ["vdev:tank/raidz1-0/sdc", 1]
      ])
    }).pipe(
      Effect.scoped,
      Effect.provide(Layer.mergeAll(
        DisksTest.layer({ devices: [...Result.getOrThrow(parseLsblk(fixture("lsblk", "nas-4hdd-nvme-usb.json")))] }),
        ZfsTest.layer(ZfsTest.model({
          summaries: [...Result.getOrThrow(parsePoolList(fixture("zfs", "list.int.json")))],
          statuses: [...Result.getOrThrow(parsePoolStatus(fixture("zfs", "status-raidz1-degraded.int.json")))],
          datasets: [...Result.getOrThrow(parseDatasetList(fixture("zfs", "datasets.int.json")))]
        })),
        StateStoreTest.layer(),
        HistoryTest.layer(),
        Layer.succeed(LatticeConfig, { ...defaultLatticeConfig, scheduleScrubs: false })
      ))
    ))

  it.effect("an alert storm of 300 unrelated alerts is written a few times, not 300", () => {
    let writes = 0
    const counting = Layer.effect(StateStore, Effect.map(StateStoreTest.make(), (store) => ({
      read: store.read,
      write: (key: string, value: unknown) => Effect.andThen(Effect.sync(() => (writes += key === "nexus" ? 1 : 0)), store.write(key, value))
    })))
    return Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const sys = yield* boot
      yield* Effect.forEach(Array.from({ length: 300 }, (_, i) => i), (i) =>
        Effect.andThen(sys.raise("FORTRESS", "warning", `tcp/${2000 + i}`, `LISTENER_UNEXPECTED: tcp/${2000 + i}`), Effect.yieldNow), { discard: true })
      yield* sys.received(300)
      const listed = yield* sys.ask("incidents")
      assert.strictEqual(listed.open, 300)
      assert.strictEqual(listed.feed.notifications, 300)
      assert.isAtMost(writes, 2)
      yield* TestClock.adjust(1_000)
      yield* sys.ask("incidents")
      assert.isAtMost(writes, 3)
      const store = yield* StateStore
      const kept = yield* store.read("nexus")
      assert.strictEqual(kept._tag === "Some" ? (kept.value as any).incidents.length : 0, 300)
    }).pipe(
      Effect.scoped,
      Effect.provide(Layer.mergeAll(adapters, counting, Layer.succeed(NexusConfig, { ...defaultNexusConfig, groupWaitMs: 0 })))
    )
  })

  it.effect("a feed that falls behind its buffer loses the oldest alerts and says exactly how many", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const sys = yield* boot
      yield* Effect.forEach(Array.from({ length: 40 }, (_, i) => i), (i) =>
        sys.raise("FORTRESS", "warning", `tcp/${1000 + i}`, `LISTENER_UNEXPECTED: a service listens on tcp/${1000 + i}`), { discard: true })
      yield* sys.received(40)
      const reply = yield* sys.ask("incidents")
      assert.strictEqual(reply.feed.received + reply.feed.lost, 40)
      assert.isAbove(reply.feed.lost, 0)
      assert.strictEqual(reply.open, reply.feed.received)
    }).pipe(
      Effect.scoped,
      Effect.provide(Layer.mergeAll(adapters, StateStoreTest.layer(), Layer.succeed(NexusConfig, { ...defaultNexusConfig, buffer: 8 })))
    ))

  it.effect("reports are correlated like alerts; bad matchers and unknown ids are typed rejections", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const sys = yield* boot
      const a = yield* sys.ask("report", { source: "LATTICE", subject: "pool tank", severity: "critical", summary: "pool tank is FAULTED" })
      const b = yield* sys.ask("report", { source: "BRIDGE", subject: "share smb/photos", severity: "warning", summary: "photos is unreachable" })
      const c = yield* sys.ask("report", { source: "HELIX", subject: "snapshots of tank/photos", severity: "warning", summary: "no snapshot" })
      // BRIDGE is not running here, so VERTEX knows no shares: the share stands alone; the dataset joins its pool, muted.
      assert.deepStrictEqual([a, b, c], [{ outcome: "opened", incident: "inc-1" }, { outcome: "opened", incident: "inc-2" }, { outcome: "inhibited", incident: "inc-1" }])
      const info = yield* sys.ask("report", { source: "SENTRY", subject: "cpu", severity: "info", summary: "alert cleared" })
      assert.deepStrictEqual(info, { outcome: "info" })
      for (const [request, tag] of [
        [{ type: "incident", id: "inc-7" }, "NoSuchIncident"],
        [{ type: "unsilence", id: "sil-3", confirm: true }, "NoSuchSilence"],
        [{ type: "silence", reason: "x", expiresInSeconds: 600 }, "BadMatcher"],
        [{ type: "silence", severity: "info", reason: "x", expiresInSeconds: 600 }, "BadMatcher"]
      ] as const) {
        const error = yield* Effect.flip(sys.system.injectAsk(ROOT, "NEXUS", request))
        const decoded = Protocol.codecs(message(request.type)).decodeRejection((error as any).rejection)
        assert.strictEqual(decoded._tag === "Success" ? (decoded.value as any)._tag : "undecoded", tag)
      }
      const invalid = yield* Effect.flip(sys.system.injectAsk(ROOT, "NEXUS", { type: "silence", agent: "sentry", reason: "x", expiresInSeconds: 600 }))
      assert.include(invalid.message, "agent")
      const tooShort = yield* Effect.flip(sys.system.injectAsk(ROOT, "NEXUS", { type: "silence", agent: "SENTRY", reason: "x", expiresInSeconds: 5 }))
      assert.include(tooShort.message, "expiresInSeconds")
    }).pipe(Effect.scoped, Effect.provide(Layer.merge(adapters, StateStoreTest.layer()))))
})
