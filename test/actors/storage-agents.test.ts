/**
 * The storage agents over the test adapters: LATTICE with ORBIT, ORACLE
 * living through a disk's decline day by day, ARCHITECT on an inventory,
 * ATLAS on a directory, VERTEX on a degraded pool.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { readFileSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger, Result } from "effect"
import { TestClock } from "effect/testing"
import { parseLsblk } from "../../src/adapters/disks/parse.ts"
import * as DisksTest from "../../src/adapters/disks/DisksTest.ts"
import { callerFilesInTmp } from "../support/security.ts"
import { parseSmartReport } from "../../src/adapters/smart/parse.ts"
import * as SmartTest from "../../src/adapters/smart/SmartTest.ts"
import { ataJson, nvmeJson } from "../support/smartctlJson.ts"
import * as StateStoreTest from "../../src/adapters/state/StateStoreTest.ts"
import { parseDatasetList, parsePoolList, parsePoolStatus } from "../../src/adapters/zfs/parse.ts"
import * as ZfsTest from "../../src/adapters/zfs/ZfsTest.ts"
import type { Zfs } from "../../src/adapters/zfs/Zfs.ts"
import type { StateStore } from "../../src/adapters/state/StateStore.ts"
import { arbiterAgent } from "../../src/actors/arbiter/index.ts"
import { architectAgent } from "../../src/actors/architect/index.ts"
import { atlasAgent } from "../../src/actors/atlas/index.ts"
import { LatticeConfig, defaultLatticeConfig } from "../../src/actors/lattice/config.ts"
import { latticeAgent } from "../../src/actors/lattice/index.ts"
import { OracleConfig, oracleAgent } from "../../src/actors/oracle/index.ts"
import { Oracle } from "../../src/actors/oracle/messages.ts"
import { OrbitConfig, orbitAgent } from "../../src/actors/orbit/index.ts"
import { vertexAgent } from "../../src/actors/vertex/index.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import type { MetricHistory } from "../../src/history/History.ts"
import * as HistoryTest from "../../src/history/HistoryTest.ts"
import { tree, watch, ROOT } from "../support/agents.ts"

const fixture = (dir: string, name: string) => readFileSync(join(import.meta.dirname, "../fixtures", dir, name), "utf8")
const devices = Result.getOrThrow(parseLsblk(fixture("lsblk", "nas-4hdd-nvme-usb.json")))
const report = (json: string) => Result.getOrThrow(parseSmartReport(json, JSON.parse(json).smartctl.exit_status, "/dev/x"))

const captureLogs = () => {
  const lines: Array<string> = []
  const logger = Logger.make((options) => void lines.push(`${options.logLevel}: ${[options.message].flat().join(" ")}`))
  return { lines, layer: Logger.layer([logger]) }
}

const zfsModel = () =>
  ZfsTest.model({
    summaries: [...Result.getOrThrow(parsePoolList(fixture("zfs", "list.int.json")))],
    statuses: [...Result.getOrThrow(parsePoolStatus(fixture("zfs", "status-mirror-healthy.json")))],
    datasets: [...Result.getOrThrow(parseDatasetList(fixture("zfs", "datasets.int.json")))]
  })

describe("LATTICE", () => {
  it.effect("health from a fresh reading; alerts when a disk faults and the pool fills; a monthly scrub registered with ORBIT", () => {
    const logs = captureLogs()
    const zfs = zfsModel()
    return Effect.gen(function*() {
      const system = yield* ActorSystem.make({ root: tree<StateStore | Zfs | MetricHistory>("root", "one_for_one", [orbitAgent, latticeAgent]) })
      const events = yield* watch(system)
      yield* TestClock.adjust("1 second")
      const health = (yield* system.injectAsk(ROOT, "LATTICE", { type: "health" })) as { healthy: boolean; pools: Array<{ name: string; capacity: { percent: number; level: string } }> }
      assert.isTrue(health.healthy)
      assert.deepStrictEqual([health.pools[0]!.name, health.pools[0]!.capacity.percent, health.pools[0]!.capacity.level], ["tank", 44, "ok"])
      const schedules = (yield* system.injectAsk(ROOT, "ORBIT", { type: "list" })) as { schedules: Array<{ name: string; cron: string; target: string }> }
      assert.deepStrictEqual(schedules.schedules.map((s) => [s.name, s.cron, s.target]), [["scrub-tank", "0 3 1 * *", "LATTICE"]])

      zfs.statuses = [...Result.getOrThrow(parsePoolStatus(fixture("zfs", "status-raidz1-degraded.int.json")))]
      zfs.summaries = zfs.summaries.map((s) => ({ ...s, capacityPercent: 91 }))
      yield* TestClock.adjust("61 seconds")
      const worse = (yield* system.injectAsk(ROOT, "LATTICE", { type: "health" })) as { healthy: boolean; pools: Array<{ problems: Array<{ vdev: string }>; capacity: { level: string } }> }
      assert.isFalse(worse.healthy)
      assert.deepStrictEqual(worse.pools[0]!.problems.map((p) => p.vdev), ["raidz1-0", "raidz1-0/sdb", "raidz1-0/sdc"])
      assert.strictEqual(worse.pools[0]!.capacity.level, "high")
      assert.includeMembers(logs.lines, [
        "Warn: pool tank is DEGRADED (was ONLINE): One or more devices are faulted in response to persistent errors. Sufficient replicas exist for the pool to continue functioning in a degraded state.",
        "Warn: tank: raidz1-0/sdb is FAULTED",
        "Warn: tank: raidz1-0/sdc checksum errors 0 → 14",
        "Warn: pool tank is 91% full, at or above 90% (high)"
      ])
      const alert = yield* events.until((e) => e._tag === "Alert")
      // FAULTED_DEV_R has no zpool message id: the code is LATTICE's own for the pool's state.
      assert.deepInclude(alert, { agent: "LATTICE", severity: "warning", subject: "pool tank", code: "LATTICE-POOL-DEGRADED" })
      // The next readings change nothing: no new alerts.
      const before = logs.lines.length
      yield* TestClock.adjust("61 seconds")
      yield* system.injectAsk(ROOT, "LATTICE", { type: "health" })
      assert.strictEqual(logs.lines.slice(before).filter((l) => l.startsWith("Warn")).length, 0)
    }).pipe(
      Effect.scoped,
      Effect.provide(Layer.mergeAll(ZfsTest.layer(zfs), StateStoreTest.layer(), logs.layer, HistoryTest.layer())),
      Effect.provideService(OrbitConfig, { timeZone: "UTC", schedules: [] }),
      Effect.provideService(LatticeConfig, defaultLatticeConfig)
    )
  })

  it.effect("changes are planned with the exact command and need confirm; scrubs start and pause; no ZFS is said plainly", () => {
    const zfs = zfsModel()
    return Effect.gen(function*() {
      const system = yield* ActorSystem.make({ root: tree<StateStore | Zfs | MetricHistory>("root", "one_for_one", [latticeAgent, arbiterAgent]) })
      const plan = (yield* system.injectAsk(ROOT, "LATTICE", { type: "destroy", dataset: "tank/photos" })) as { display: string; executed: boolean }
      assert.deepStrictEqual([plan.display, plan.executed], ["zfs destroy tank/photos", false])
      assert.strictEqual(zfs.datasets.length, 4)
      yield* system.injectAsk(ROOT, "LATTICE", { type: "destroy", dataset: "tank/photos", confirm: true })
      assert.deepStrictEqual(zfs.datasets.map((d) => d.name), ["tank", "tank/legacy", "tank/vm-disk"])
      const scrub = (yield* system.injectAsk(ROOT, "LATTICE", { type: "scrub", pool: "tank", action: "start" })) as { scrub: { state: string } }
      assert.strictEqual(scrub.scrub.state, "scanning")
      const hostile = yield* Effect.flip(system.injectAsk(ROOT, "LATTICE", { type: "destroy", dataset: "-o" }))
      assert.match(hostile.message, /dataset/)
      zfs.installed = false
      const none = yield* Effect.flip(system.injectAsk(ROOT, "LATTICE", { type: "health" }))
      assert.strictEqual(none.message, "LATTICE 'health': ZFS is not installed (zpool and zfs are not on PATH)")
      assert.deepStrictEqual(zfs.executed.map((c) => c.join(" ")), ["zfs destroy tank/photos", "zpool scrub tank"])
    }).pipe(
      Effect.scoped,
      Effect.provide(Layer.mergeAll(ZfsTest.layer(zfs), StateStoreTest.layer(), HistoryTest.layer())),
      Effect.provideService(LatticeConfig, { ...defaultLatticeConfig, scheduleScrubs: false })
    )
  })
})

describe("LATTICE destroy of a snapshot", () => {
  const snapshot = (name: string) => ({ name, pool: "tank", type: "snapshot" as const, usedBytes: 0, availableBytes: 0, referencedBytes: 0 })

  it.effect("plans and, with confirm, destroys a snapshot; refuses bookmarks and option-like names before any tool", () => {
    const zfs = zfsModel()
    zfs.datasets.push(snapshot("tank/photos@monday"), snapshot("tank@monday"))
    return Effect.gen(function*() {
      const system = yield* ActorSystem.make({ root: tree("root", "one_for_one", [latticeAgent]) })
      const destroy = (message: Record<string, unknown>) => system.injectAsk(ROOT, "LATTICE", { type: "destroy", ...message })
      const plan = (yield* destroy({ dataset: "tank/photos@monday" })) as { command: ReadonlyArray<string>; executed: boolean }
      assert.deepStrictEqual([plan.command, plan.executed], [["zfs", "destroy", "tank/photos@monday"], false])
      assert.deepStrictEqual(zfs.executed, [])
      yield* destroy({ dataset: "tank/photos@monday", confirm: true })
      yield* destroy({ dataset: "tank@monday", confirm: true })
      assert.deepStrictEqual(zfs.datasets.filter((d) => d.name.includes("@")), [])
      assert.match((yield* Effect.flip(destroy({ dataset: "tank/photos@monday", confirm: true }))).message, /could not find any snapshots to destroy/)
      for (const hostile of ["tank/photos#mark", "-r@x", "@monday", "tank/photos@", "tank/photos@a b", "tank/photos@$(reboot)"]) {
        const refused = yield* Effect.flip(destroy({ dataset: hostile, confirm: true }))
        assert.strictEqual(refused._tag, "InvalidMessage", hostile)
      }
      assert.deepStrictEqual(zfs.executed.map((c) => c.join(" ")), [
        "zfs destroy tank/photos@monday",
        "zfs destroy tank@monday",
        "zfs destroy tank/photos@monday"
      ])
    }).pipe(Effect.scoped, Effect.provide(Layer.merge(ZfsTest.layer(zfs), HistoryTest.layer())), Effect.provideService(LatticeConfig, { ...defaultLatticeConfig, scheduleScrubs: false }))
  })
})

describe("ORACLE", () => {
  it.effect("follows a disk's decline day by day: stable ok, one alert per rise, history kept by serial", () => {
    const logs = captureLogs()
    const smart: SmartTest.SmartModel = { reports: new Map() }
    const set = (reallocated: number) => {
      smart.reports.set("/dev/sda", report(ataJson({ device: "/dev/sda", reallocated })))
      smart.reports.set("/dev/nvme0", report(nvmeJson({})))
    }
    return Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2026-01-01T00:00:00Z"))
      set(0)
      const system = yield* ActorSystem.make({ root: tree("root", "one_for_one", [oracleAgent]) })
      const events = yield* watch(system)
      const day = (reallocated: number) =>
        Effect.gen(function*() {
          set(reallocated)
          yield* TestClock.adjust("1 day")
          const assessed = yield* system.call(Oracle, { type: "assess", device: "/dev/sda" })
          return assessed.disks[0]!
        })
      for (let d = 0; d < 10; d++) assert.strictEqual((yield* day(0)).level, "ok")
      for (let d = 0; d < 10; d++) yield* day(8)
      const grown = yield* day(30)
      assert.strictEqual(grown.level, "critical")
      assert.match(grown.evidence[0]!.text, /reallocated sectors \(SMART 5\) rose from 8 to 30/)
      assert.isAbove(grown.historyDays, 20)
      const alerts = logs.lines.filter((l) => l.startsWith("Warn") || l.startsWith("Error"))
      assert.strictEqual(alerts.length, 2, alerts.join("\n"))
      assert.match(alerts[0]!, /^Warn: \/dev\/sda \(WDC WD40EFRX-68N32N0, serial WD-WCC7K1ABCDEF\): warn, score \d+: reallocated sectors \(SMART 5\) rose from 0 to 8/)
      assert.match(alerts[1]!, /^Error: \/dev\/sda .*critical/)
      // Each alert's code is its weightiest evidence's: reallocated sectors rising (SMART 5).
      const first = yield* events.until((e) => e._tag === "Alert")
      const second = yield* events.until((e) => e._tag === "Alert")
      assert.deepStrictEqual([first, second].map((e) => (e as { code?: string }).code), ["SMART-5-RISING", "SMART-5-RISING"])
      const all = (yield* system.injectAsk(ROOT, "ORACLE", { type: "assess" })) as { disks: Array<{ device: string; level: string }>; unreadable: Array<unknown> }
      assert.deepStrictEqual(all.disks.map((d) => [d.device, d.level]), [["/dev/sda", "critical"], ["/dev/nvme0", "ok"]])
      const trend = (yield* system.injectAsk(ROOT, "ORACLE", { type: "trend", device: "/dev/sda", days: 5 })) as { observations: Array<{ counters: { reallocated: number } }> }
      assert.deepStrictEqual(trend.observations.map((o) => o.counters.reallocated), [8, 8, 8, 8, 30])
      const missing = yield* Effect.flip(system.injectAsk(ROOT, "ORACLE", { type: "assess", device: "/dev/sdq" }))
      assert.match(missing.message, /cannot read SMART data of \/dev\/sdq/)
    }).pipe(
      Effect.scoped,
      Effect.provide(Layer.mergeAll(SmartTest.layer(smart), StateStoreTest.layer(), logs.layer, HistoryTest.layer())),
      Effect.provideService(OracleConfig, { intervalMs: 365 * 86_400_000 })
    )
  })
})

describe("ARCHITECT, ATLAS, VERTEX", () => {
  it.effect("ARCHITECT lays out the free disks and leaves in-use ones out with the reason", () =>
    Effect.gen(function*() {
      const free = devices.map((d) => d.fstype === undefined && d.children.every((c) => c.fstype === "zfs_member" || c.fstype === undefined) && d.name.startsWith("sd")
        ? { ...d, children: [] }
        : d)
      const system = yield* ActorSystem.make({ root: tree("root", "one_for_one", [architectAgent]) }).pipe(Effect.provide(DisksTest.layer({ devices: free })))
      const rec = (yield* system.injectAsk(ROOT, "ARCHITECT", { type: "recommend", pool: "vault" })) as {
        candidates: Array<{ name: string; display: string }>
        skipped: Array<{ disk: string; reason: string }>
      }
      assert.strictEqual(rec.candidates[0]!.name, "raidz2 of 4")
      assert.strictEqual(rec.candidates[0]!.display, "zpool create -o ashift=12 vault raidz2 /dev/sda /dev/sdb /dev/sdc /dev/sdd")
      assert.deepStrictEqual(rec.skipped, [{ disk: "/dev/nvme0n1", reason: "/dev/nvme0n1p1 is mounted at /boot/efi" }])
      const inUse = yield* ActorSystem.make({ root: tree("root2", "one_for_one", [architectAgent]) }).pipe(Effect.provide(DisksTest.layer({ devices })))
      const refused = yield* Effect.flip(inUse.injectAsk(ROOT, "ARCHITECT", { type: "recommend" }))
      assert.match(refused.message, /^ARCHITECT 'recommend': no free disks to lay out: \/dev\/sda \(it is a ZFS member of pool tank\)/)
      const check = (yield* inUse.injectAsk(ROOT, "ARCHITECT", { type: "validate", pool: "tank", vdevs: [{ kind: "mirror", disks: ["sda"] }] })) as { ok: boolean; problems: Array<{ text: string }> }
      assert.deepStrictEqual([check.ok, check.problems[0]!.text], [false, "vdev 1 (mirror): a mirror needs at least 2 disks"])
    }).pipe(Effect.scoped))

  it.effect("ATLAS scans a path, or a dataset's mountpoint", () => {
    const dir = mkdtempSync(join(tmpdir(), "sv-atlas-agent-"))
    writeFileSync(join(dir, "movie.mkv"), Buffer.alloc(4096))
    const zfs = ZfsTest.model({ datasets: [{ name: "tank/media", pool: "tank", type: "filesystem", usedBytes: 0, availableBytes: 0, referencedBytes: 0, mountpoint: dir, mounted: true }] })
    return Effect.gen(function*() {
      const system = yield* ActorSystem.make({ root: tree("root", "one_for_one", [atlasAgent]) })
      const byPath = (yield* system.injectAsk(ROOT, "ATLAS", { type: "usage", path: dir })) as { files: number; byType: Array<{ type: string }> }
      assert.deepStrictEqual([byPath.files, byPath.byType[0]!.type], [1, "video"])
      const byDataset = (yield* system.injectAsk(ROOT, "ATLAS", { type: "usage", dataset: "tank/media" })) as { root: string }
      assert.strictEqual(byDataset.root, dir)
      assert.match((yield* Effect.flip(system.injectAsk(ROOT, "ATLAS", { type: "usage" }))).message, /give exactly one of "path" or "dataset"/)
      assert.match((yield* Effect.flip(system.injectAsk(ROOT, "ATLAS", { type: "usage", dataset: "tank/none" }))).message, /no dataset named 'tank\/none'/)
    }).pipe(Effect.scoped, Effect.provide(ZfsTest.layer(zfs)), Effect.provide(callerFilesInTmp), Effect.provide(HistoryTest.layer()))
  })

  it.effect("VERTEX answers topology and the impact of a disk on a degraded pool; without ZFS it still knows the disks", () => {
    const zfs = ZfsTest.model({
      statuses: [...Result.getOrThrow(parsePoolStatus(fixture("zfs", "status-raidz1-degraded.int.json")))],
      datasets: [...Result.getOrThrow(parseDatasetList(fixture("zfs", "datasets.int.json")))]
    })
    return Effect.gen(function*() {
      const system = yield* ActorSystem.make({ root: tree("root", "one_for_one", [vertexAgent]) })
      const impact = (yield* system.injectAsk(ROOT, "VERTEX", { type: "impact", disk: "sdd" })) as { pools: Array<{ outcome: string }>; text: string }
      assert.strictEqual(impact.pools[0]!.outcome, "faulted")
      const graph = (yield* system.injectAsk(ROOT, "VERTEX", { type: "topology" })) as { nodes: Array<{ id: string }>; unresolved: Array<string> }
      assert.isTrue(graph.nodes.some((n) => n.id === "pool:tank"))
      assert.deepStrictEqual(graph.unresolved, [])
      zfs.installed = false
      const bare = (yield* system.injectAsk(ROOT, "VERTEX", { type: "topology" })) as { nodes: Array<{ kind: string }>; zfs: string }
      assert.strictEqual(bare.zfs, "ZFS is not installed (zpool and zfs are not on PATH)")
      assert.isTrue(bare.nodes.every((n) => n.kind !== "pool"))
    }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(ZfsTest.layer(zfs), DisksTest.layer({ devices }))))
  })
})
