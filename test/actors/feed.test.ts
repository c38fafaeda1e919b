/**
 * The agents that measure record what they measure in the metric history:
 * LATTICE its pools and datasets, ORACLE its disks, VELOCITY its benchmarks
 * (SENTRY and PHOTON: their own tests), each under its test adapters, with
 * exact values and labels. And the catalogue stays the truth: every sample
 * the feeding agents and the runtime sampler record has a name and a label
 * set declared there.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Result } from "effect"
import { TestClock } from "effect/testing"
import type { Disks } from "../../src/adapters/disks/Disks.ts"
import type { CallerFiles } from "../../src/adapters/fs/CallerFiles.ts"
import type { NetLinks } from "../../src/adapters/netlinks/NetLinks.ts"
import type { ProcStats } from "../../src/adapters/procfs/ProcStats.ts"
import type { Smart } from "../../src/adapters/smart/Smart.ts"
import type { StateStore } from "../../src/adapters/state/StateStore.ts"
import type { StorageBench } from "../../src/adapters/storagebench/StorageBench.ts"
import type { Zfs } from "../../src/adapters/zfs/Zfs.ts"
import { parseLsblk } from "../../src/adapters/disks/parse.ts"
import * as DisksTest from "../../src/adapters/disks/DisksTest.ts"
import * as NetLinksTest from "../../src/adapters/netlinks/NetLinksTest.ts"
import * as ProcStatsTest from "../../src/adapters/procfs/ProcStatsTest.ts"
import { parseSmartReport } from "../../src/adapters/smart/parse.ts"
import * as SmartTest from "../../src/adapters/smart/SmartTest.ts"
import * as StateStoreTest from "../../src/adapters/state/StateStoreTest.ts"
import { FIO_PRESETS } from "../../src/adapters/storagebench/fio.ts"
import * as StorageBenchTest from "../../src/adapters/storagebench/StorageBenchTest.ts"
import { parseDatasetList, parsePoolList, parsePoolStatus } from "../../src/adapters/zfs/parse.ts"
import * as ZfsTest from "../../src/adapters/zfs/ZfsTest.ts"
import { arbiterAgent } from "../../src/actors/arbiter/index.ts"
import { defaultLatticeConfig, LatticeConfig } from "../../src/actors/lattice/config.ts"
import { latticeAgent } from "../../src/actors/lattice/index.ts"
import { oracleAgent } from "../../src/actors/oracle/index.ts"
import { Oracle } from "../../src/actors/oracle/messages.ts"
import { photonAgent } from "../../src/actors/photon/index.ts"
import { sentryAgent } from "../../src/actors/sentry/index.ts"
import { velocityAgent } from "../../src/actors/velocity/index.ts"
import type { Benchmark } from "../../src/actors/velocity/messages.ts"
import * as MetricsSampler from "../../src/daemon/MetricsSampler.ts"
import { metricDef, METRICS } from "../../src/history/catalogue.ts"
import { type LatestSample, MetricHistory, type MetricHistoryShape } from "../../src/history/History.ts"
import * as HistoryTest from "../../src/history/HistoryTest.ts"
import { makeMemoryTest } from "../../src/memory/MemoryTest.ts"
import { Memory } from "../../src/memory/Memory.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import type { Caller } from "../../src/runtime/Caller.ts"
import { ROOT, tree } from "../support/agents.ts"
import { callerFilesInTmp, tempDir } from "../support/security.ts"
import { ataJson, nvmeJson } from "../support/smartctlJson.ts"

const fixture = (dir: string, name: string) => readFileSync(join(import.meta.dirname, "../fixtures", dir, name), "utf8")
const report = (json: string) => Result.getOrThrow(parseSmartReport(json, JSON.parse(json).smartctl.exit_status, "/dev/x"))
const OPERATOR: Caller = { uid: 1000, gid: 1000, groups: [], via: "socket" }

const zfsModel = () =>
  ZfsTest.model({
    summaries: [...Result.getOrThrow(parsePoolList(fixture("zfs", "list.int.json")))],
    statuses: [...Result.getOrThrow(parsePoolStatus(fixture("zfs", "status-mirror-healthy.json")))],
    datasets: [...Result.getOrThrow(parseDatasetList(fixture("zfs", "datasets.int.json")))]
  })

const smartModel = (): SmartTest.SmartModel => ({
  reports: new Map([
    ["/dev/sda", report(ataJson({ device: "/dev/sda", reallocated: 8, pending: 2, temperature: 41, powerOnHours: 20_000 }))],
    ["/dev/nvme0", report(nvmeJson({ device: "/dev/nvme0", percentageUsed: 7, mediaErrors: 0, temperature: 38 }))]
  ])
})

const procScript = (): Array<ProcStatsTest.ScriptedSample> =>
  Array.from({ length: 40 }, (_, i) => ({
    cpu: { user: 30 * i, nice: 0, system: 0, idle: 70 * i, iowait: 0, irq: 0, softirq: 0, steal: 0 },
    cpuCount: 2,
    memory: { totalBytes: 8e9, availableBytes: 6e9, swapTotalBytes: 0, swapFreeBytes: 0 },
    load: { one: 0.3, five: 0.2, fifteen: 0.1, runnable: 1, entities: 200 },
    disks: [{ name: "sda", readsCompleted: i, writesCompleted: i, sectorsRead: 8 * i, sectorsWritten: 16 * i, ioTicksMs: 3 * i }]
  }))

const benchReports = Object.fromEntries(FIO_PRESETS.map((preset) => [preset, fixture("fio", `${preset}.json`)]))

type Feeding = ProcStats | Memory | NetLinks | Zfs | Smart | StateStore | StorageBench | CallerFiles | Disks | MetricHistory

/** SENTRY, PHOTON, LATTICE, ORACLE and VELOCITY (with ARBITER for VELOCITY's leases) on their test adapters, sharing one history. */
const feeding = (history: MetricHistoryShape, zfs = zfsModel(), smart = smartModel()) =>
  Layer.mergeAll(
    ProcStatsTest.layer(procScript()),
    Layer.effect(Memory, makeMemoryTest()),
    NetLinksTest.layer([NetLinksTest.link("eth0"), NetLinksTest.link("lo", { type: 772, virtual: true, operstate: "unknown", speedMbps: null })]),
    ZfsTest.layer(zfs),
    SmartTest.layer(smart),
    StateStoreTest.layer(),
    StorageBenchTest.make({ fioVersion: "fio-3.33", reports: benchReports }).layer,
    callerFilesInTmp,
    DisksTest.layer({ devices: [...Result.getOrThrow(parseLsblk(fixture("lsblk", "nas-4hdd-nvme-usb.json")))] }),
    Layer.succeed(MetricHistory, history)
  )

/** `name{label=value,...}` → value, of the newest sample of each series of `name`. */
const latestOf = (latest: ReadonlyArray<LatestSample>) =>
  Object.fromEntries(latest.map((s) => [`${s.name}{${Object.entries(s.labels).map(([k, v]) => `${k}=${v}`).join(",")}}`, s.value]))

describe("LATTICE feeds the history", () => {
  it.effect("each pool's space, error counters and health, and each dataset's space, at each health check and when asked", () => {
    const zfs = zfsModel()
    return Effect.gen(function*() {
      const history = yield* HistoryTest.make()
      yield* Effect.gen(function*() {
        const system = yield* ActorSystem.make({ root: tree("root", "one_for_one", [latticeAgent]) })
        yield* TestClock.adjust(1_000)
        const pool = zfs.summaries.find((s) => s.name === "tank")!
        const datasets = zfs.datasets.filter((d) => d.type === "filesystem" || d.type === "volume")
        assert.isAbove(datasets.length, 1)
        const expected: Record<string, number> = {
          "sigmavault_pool_size_bytes{pool=tank}": pool.sizeBytes,
          "sigmavault_pool_allocated_bytes{pool=tank}": pool.allocatedBytes,
          "sigmavault_pool_free_bytes{pool=tank}": pool.freeBytes,
          "sigmavault_pool_read_errors_total{pool=tank}": 0,
          "sigmavault_pool_write_errors_total{pool=tank}": 0,
          "sigmavault_pool_checksum_errors_total{pool=tank}": 0,
          "sigmavault_pool_healthy{pool=tank}": 1
        }
        for (const d of datasets) {
          expected[`sigmavault_dataset_used_bytes{pool=${d.pool},dataset=${d.name}}`] = d.usedBytes
          expected[`sigmavault_dataset_available_bytes{pool=${d.pool},dataset=${d.name}}`] = d.availableBytes
        }
        assert.deepStrictEqual(latestOf(yield* history.latest()), expected)

        // The next health check records again, with what changed; so does a `health` or `datasets` request.
        const grown = 1_900_000_000_000
        zfs.summaries = zfs.summaries.map((s) => (s.name === "tank" ? { ...s, allocatedBytes: grown } : s))
        zfs.datasets = zfs.datasets.map((d) => (d.name === "tank/photos" ? { ...d, usedBytes: 1_300_000_000_000 } : d))
        yield* TestClock.adjust(defaultLatticeConfig.intervalMs)
        const allocated = yield* history.query({ name: "sigmavault_pool_allocated_bytes", from: 0, to: 120_000, step: 1_000 })
        assert.deepStrictEqual(allocated.map((s) => [s.labels, s.points.map(([, v]) => v)]), [[{ pool: "tank" }, [pool.allocatedBytes, grown]]])
        const photos = yield* history.query({ name: "sigmavault_dataset_used_bytes", matchers: [{ label: "dataset", op: "=", value: "tank/photos" }], from: 0, to: 120_000, step: 1_000 })
        assert.deepStrictEqual(photos.map((s) => [s.labels, s.points.map(([, v]) => v)]), [[{ pool: "tank", dataset: "tank/photos" }, [1_200_000_000_000, 1_300_000_000_000]]])
        const before = (yield* history.stats).samples
        yield* system.injectAsk(ROOT, "LATTICE", { type: "health" })
        assert.strictEqual((yield* history.stats).samples, before + 7)
        yield* system.injectAsk(ROOT, "LATTICE", { type: "datasets", root: "tank/photos" })
        assert.strictEqual((yield* history.stats).samples, before + 7 + 2 * datasets.filter((d) => d.name === "tank/photos" || d.name.startsWith("tank/photos/")).length)
      }).pipe(
        Effect.scoped,
        Effect.provide(Layer.merge(ZfsTest.layer(zfs), Layer.succeed(MetricHistory, history))),
        Effect.provideService(LatticeConfig, { ...defaultLatticeConfig, scheduleScrubs: false })
      )
    })
  })

  it.effect("a faulted device's errors and the pool's health are recorded", () => {
    const zfs = zfsModel()
    const faulted = [...Result.getOrThrow(parsePoolStatus(fixture("zfs", "status-raidz1-degraded.json")))]
    return Effect.gen(function*() {
      const history = yield* HistoryTest.make()
      zfs.statuses = faulted
      yield* ActorSystem.make({ root: tree("root", "one_for_one", [latticeAgent]) }).pipe(
        Effect.provide(Layer.merge(ZfsTest.layer(zfs), Layer.succeed(MetricHistory, history)))
      )
      yield* TestClock.adjust(1_000)
      const latest = latestOf(yield* history.latest())
      for (const status of faulted) {
        const leaves = { read: 0, write: 0, checksum: 0 }
        const walk = (v: (typeof status.vdevs)[number]["children"][number]): void => {
          if (v.children.length === 0) {
            leaves.read += v.readErrors
            leaves.write += v.writeErrors
            leaves.checksum += v.checksumErrors
          }
          v.children.forEach(walk)
        }
        status.vdevs.forEach(walk)
        // The fixture's faulted disk has read and checksum errors.
        assert.isAbove(leaves.read + leaves.checksum, 0)
        assert.strictEqual(latest[`sigmavault_pool_healthy{pool=${status.name}}`], 0)
        assert.strictEqual(latest[`sigmavault_pool_read_errors_total{pool=${status.name}}`], leaves.read)
        assert.strictEqual(latest[`sigmavault_pool_write_errors_total{pool=${status.name}}`], leaves.write)
        assert.strictEqual(latest[`sigmavault_pool_checksum_errors_total{pool=${status.name}}`], leaves.checksum)
      }
    }).pipe(Effect.scoped, Effect.provideService(LatticeConfig, { ...defaultLatticeConfig, scheduleScrubs: false }))
  })
})

describe("ORACLE feeds the history", () => {
  it.effect("each disk's temperature, power-on time, sectors, NVMe wear and media errors, and its risk score, per device", () =>
    Effect.gen(function*() {
      const history = yield* HistoryTest.make()
      const assessed = yield* Effect.gen(function*() {
        const system = yield* ActorSystem.make({ root: tree("root", "one_for_one", [oracleAgent]) })
        return yield* system.call(Oracle, { type: "assess" })
      }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(SmartTest.layer(smartModel()), StateStoreTest.layer(), Layer.succeed(MetricHistory, history))))
      const score = (device: string) => assessed.disks.find((d) => d.device === device)!.score
      assert.isAbove(score("/dev/sda"), 0)
      assert.deepStrictEqual(latestOf(yield* history.latest()), {
        "sigmavault_disk_temperature_celsius{device=/dev/sda}": 41,
        "sigmavault_disk_power_on_seconds_total{device=/dev/sda}": 20_000 * 3600,
        "sigmavault_disk_reallocated_sectors_total{device=/dev/sda}": 8,
        "sigmavault_disk_pending_sectors{device=/dev/sda}": 2,
        "sigmavault_disk_risk_score{device=/dev/sda}": score("/dev/sda"),
        "sigmavault_disk_temperature_celsius{device=/dev/nvme0}": 38,
        "sigmavault_disk_power_on_seconds_total{device=/dev/nvme0}": 8760 * 3600,
        "sigmavault_disk_media_errors_total{device=/dev/nvme0}": 0,
        "sigmavault_disk_wear_ratio{device=/dev/nvme0}": 0.07,
        "sigmavault_disk_risk_score{device=/dev/nvme0}": score("/dev/nvme0")
      })
    }))
})

describe("VELOCITY feeds the history", () => {
  it.effect("each preset's throughput, IOPS and p99 latency, labelled by target, workload and operation", () =>
    Effect.gen(function*() {
      const history = yield* HistoryTest.make()
      const { dir, result } = yield* Effect.gen(function*() {
        const system = yield* ActorSystem.make({ root: tree("root", "one_for_one", [velocityAgent, arbiterAgent]) })
        const dir = yield* tempDir(`sigmavault-feed-${process.pid}-`)
        const result = (yield* system.injectAsk(OPERATOR, "VELOCITY", { type: "benchmark", target: dir, presets: ["seq1m-q8t1-read", "rnd4k-q32t1-mixed"] })) as Benchmark
        return { dir, result }
      }).pipe(Effect.scoped, Effect.provide(feeding(history)))
      const expected: Record<string, number> = {}
      for (const preset of result.results) {
        for (const operation of ["read", "write"] as const) {
          const m = preset[operation]
          if (m === undefined) continue
          const labels = `target=${dir},workload=${preset.preset},operation=${operation}`
          expected[`sigmavault_benchmark_throughput_bytes_per_second{${labels}}`] = m.mbPerSecond * 1e6
          expected[`sigmavault_benchmark_iops{${labels}}`] = m.iops
          expected[`sigmavault_benchmark_latency_p99_seconds{${labels}}`] = m.latencyUs!.p99 / 1e6
        }
      }
      // One read preset, and the mix (a read and a write): three series of each metric.
      assert.lengthOf(Object.keys(expected), 9)
      assert.deepStrictEqual(latestOf(yield* history.latest()), expected)
    }))
})

describe("the catalogue is the truth", () => {
  it.effect("every sample the feeding agents and the runtime sampler record has a name and a label set the catalogue declares", () =>
    Effect.gen(function*() {
      const history = yield* HistoryTest.make()
      yield* Effect.gen(function*() {
        const system = yield* ActorSystem.make({
          root: tree<Feeding>("root", "one_for_one", [sentryAgent, photonAgent, latticeAgent, oracleAgent, velocityAgent, arbiterAgent])
        })
        yield* MetricsSampler.start(system, MetricsSampler.DEFAULT_METRICS_INTERVAL_MS)
        const dir = yield* tempDir(`sigmavault-feed-${process.pid}-`)
        yield* system.injectAsk(OPERATOR, "VELOCITY", { type: "benchmark", target: dir, presets: ["seq1m-q8t1-read", "rnd4k-q32t1-mixed"] })
        yield* system.call(Oracle, { type: "assess" })
        for (let i = 0; i < 7; i++) yield* TestClock.adjust(10_000)
      }).pipe(
        Effect.scoped,
        Effect.provide(feeding(history)),
        Effect.provideService(LatticeConfig, { ...defaultLatticeConfig, scheduleScrubs: false })
      )
      const series = yield* history.series()
      const problems: Array<string> = []
      for (const s of series) {
        const def = metricDef(s.name)
        if (def === undefined) {
          problems.push(`${s.name} is not in the catalogue`)
          continue
        }
        const labels = Object.keys(s.labels).sort()
        if (labels.join(",") !== [...def.labels].sort().join(",")) problems.push(`${s.name} has labels {${labels}}, the catalogue declares {${def.labels}}`)
      }
      assert.deepStrictEqual(problems, [])
      assert.strictEqual((yield* history.stats).refused.invalid, 0)
      // Every metric these agents and the runtime are said to record was seen (the NVMe-only and error ones included).
      const recorded = new Set(series.map((s) => s.name))
      // (The history's own numbers are read from its `stats`, not recorded.)
      const declared = METRICS
        .filter((m) => ["runtime", "SENTRY", "PHOTON", "LATTICE", "ORACLE", "VELOCITY"].includes(m.source) && !m.name.startsWith("sigmavault_history_"))
        .map((m) => m.name)
      assert.deepStrictEqual(declared.filter((name) => !recorded.has(name)), [])
    }))
})
