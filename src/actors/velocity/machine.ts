/**
 * VELOCITY: storage benchmarks. A directory is benchmarked on a temporary
 * file made there with the caller's rights (CallerFiles.scratch: inside the
 * file roots, owned by the caller, removed afterwards whatever happens, swept
 * after a crash), filled with incompressible data, then put through
 * KDiskMark's presets by fio; without fio, a built-in sequential write and
 * read, labelled as such with what it cannot measure. A raw device is
 * benchmarked only by an admin, only with `confirm`, and never with write
 * presets while it holds a filesystem, partitions or a pool. Every result is
 * kept (bounded) in the state directory for `history` and for AXIOM.
 * A benchmark holds ARBITER's `benchmark` leases while it runs: its path's
 * and, on ZFS, its pool's; a device's `disk:` lease.
 */
import { Clock, Effect, Exit, Option, Schema } from "effect"
import { type BlockDevice, Disks } from "../../adapters/disks/Disks.ts"
import { CallerFiles } from "../../adapters/fs/CallerFiles.ts"
import { DEFAULT_PRESETS, fioArgv, type FioPresetName, PRESETS } from "../../adapters/storagebench/fio.ts"
import { type PresetResult, StorageBench } from "../../adapters/storagebench/StorageBench.ts"
import { StateStore } from "../../adapters/state/StateStore.ts"
import { isWithin } from "../../adapters/fs/CallerFiles.ts"
import { Zfs } from "../../adapters/zfs/Zfs.ts"
import { MetricHistory, type Sample } from "../../history/History.ts"
import { AgentEnv, type Capability } from "../../runtime/Agent.ts"
import type { Caller } from "../../runtime/Caller.ts"
import { withLease } from "../shared/lease.ts"
import { pathResource } from "../shared/leaseRules.ts"
import { serviceMachine } from "../shared/serve.ts"
import { VelocityConfig } from "./config.ts"
import { type Benchmark, Benchmark as BenchmarkSchema, DeviceInUse, FioUnavailable, Velocity } from "./messages.ts"

export const velocityCapabilities: ReadonlyArray<Capability> = [
  {
    name: "benchmark",
    available: true,
    detail: "fio (JSON) with KDiskMark's presets on a temporary file under a directory, made with the caller's rights and removed afterwards: MB/s, IOPS, latency p50/p99/p99.9; a built-in sequential test when fio is missing; raw devices for admins, with confirm"
  },
  { name: "history", available: true, detail: "every result kept in the state directory (the newest 200), per target" }
]

const HISTORY_KEY = "velocity-history"
const SCRATCH_STEM = ".sigmavault-benchmark"
const MiB = 1024 * 1024

export const BUILTIN_MEASURES = "sequential write then read of the test file, one synchronous 1 MiB request at a time, O_DIRECT when the filesystem allows it; writes timed up to their fdatasync"
export const BUILTIN_CANNOT = "queue depth (no Q8/Q32: one request at a time), random 4 KiB I/O and its IOPS, and, without O_DIRECT, reads (served from the page cache) and per-request latency"

const decodeHistory = Schema.decodeUnknownExit(Schema.Array(BenchmarkSchema))

/** `/dev/sda` for "sda"; a /dev path as given. */
export const devicePath = (device: string) => (device.startsWith("/dev/") ? device : `/dev/${device}`)

/** What a device holds that a write would destroy, or undefined when lsblk shows it bare. */
export const holdings = (device: BlockDevice): string | undefined => {
  const what = [
    ...(device.fstype === undefined ? [] : [device.fstype === "zfs_member" ? `a member of ZFS pool ${device.label ?? "?"}` : `a ${device.fstype} filesystem`]),
    ...(device.mountpoints.length === 0 ? [] : [`mounts at ${device.mountpoints.join(", ")}`]),
    ...(device.children.length === 0 ? [] : [`${device.children.length} partition(s) or holder(s) (${device.children.map((c) => c.name).join(", ")})`])
  ]
  return what.length === 0 ? undefined : what.join("; ")
}

const findDevice = (devices: ReadonlyArray<BlockDevice>, path: string): BlockDevice | undefined => {
  for (const device of devices) {
    if (device.path === path) return device
    const below = findDevice(device.children, path)
    if (below !== undefined) return below
  }
  return undefined
}

/**
 * What a finished benchmark puts in the metric history: each preset's
 * throughput, IOPS and p99 latency (where the engine measured it), per
 * target, workload (the preset) and operation (read, write: the mixed preset
 * has both).
 */
export const benchmarkSamples = (result: Benchmark): Array<Sample> =>
  result.results.flatMap((preset) =>
    (["read", "write"] as const).flatMap((operation) => {
      const measured = preset[operation]
      if (measured === undefined) return []
      const labels = { target: result.target, workload: preset.preset, operation }
      return [
        { name: "sigmavault_benchmark_throughput_bytes_per_second", labels, value: measured.mbPerSecond * 1e6 },
        { name: "sigmavault_benchmark_iops", labels, value: measured.iops },
        ...(measured.latencyUs === undefined ? [] : [{ name: "sigmavault_benchmark_latency_p99_seconds", labels, value: measured.latencyUs.p99 / 1e6 }])
      ]
    })
  )

export const velocityMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const bench = yield* StorageBench
  const callerFiles = yield* CallerFiles
  const store = yield* StateStore
  const disks = yield* Disks
  const zfs = yield* Zfs
  const config = yield* VelocityConfig
  const metrics = yield* MetricHistory

  const loaded = yield* Effect.exit(store.read(HISTORY_KEY))
  let history: ReadonlyArray<Benchmark> = []
  if (Exit.isFailure(loaded)) {
    yield* Effect.logWarning(`benchmark history unreadable, starting afresh: ${loaded.cause.reasons.map((r) => (r._tag === "Fail" ? r.error.message : String(r))).join("; ")}`)
  } else if (Option.isSome(loaded.value)) {
    const decoded = decodeHistory(loaded.value.value)
    if (Exit.isSuccess(decoded)) history = decoded.value
    else yield* Effect.logWarning("benchmark history has another shape, starting afresh")
  }

  /** Keeps a result; a store that refuses is said in the result's notes, never a failed benchmark. */
  const remember = (result: Benchmark) =>
    Effect.gen(function*() {
      const next = [...history, result].slice(-config.historyKeep)
      const saved = yield* Effect.exit(store.write(HISTORY_KEY, next))
      history = next
      yield* metrics.record(benchmarkSamples(result))
      return Exit.isSuccess(saved) ? result : { ...result, notes: [...result.notes, "this result could not be saved to the history (the daemon's log says why)"] }
    })

  const settings = (message: { readonly presets?: ReadonlyArray<FioPresetName>; readonly sizeMiB?: number; readonly seconds?: number }) => ({
    presets: [...new Set(message.presets ?? DEFAULT_PRESETS)],
    sizeBytes: (message.sizeMiB ?? config.sizeMiB) * MiB,
    seconds: message.seconds ?? config.seconds
  })

  /** Runs `presets` with fio on `file`, one after another, with progress after each. */
  const runPresets = (job: string, file: string, presets: ReadonlyArray<FioPresetName>, sizeBytes: number, seconds: number) =>
    Effect.gen(function*() {
      const results: Array<PresetResult> = []
      for (const [index, preset] of presets.entries()) {
        yield* env.progress({ job, done: index, total: presets.length, unit: "presets" })
        results.push(yield* bench.runFio({ file, preset, sizeBytes, seconds, direct: true }))
      }
      yield* env.progress({ job, done: presets.length, total: presets.length, unit: "presets" })
      return results
    })

  const directNote = (results: ReadonlyArray<PresetResult>) =>
    results.some((r) => !r.direct)
      ? ["the filesystem refused O_DIRECT: I/O went through the page cache, so reads may show memory speed, not the disk's"]
      : []

  /**
   * The pool a path lives on (its dataset mounted deepest above it), whose
   * disks a benchmark loads; none off ZFS, or when ZFS cannot say.
   */
  const poolOf = (target: string) =>
    Effect.map(Effect.option(zfs.datasets()), (found) => {
      if (found._tag === "None") return undefined
      const holding = found.value
        .filter((d) => d.mounted !== false && d.mountpoint !== undefined && isWithin(target, d.mountpoint))
        .sort((a, b) => b.mountpoint!.length - a.mountpoint!.length)
      return holding[0]?.pool
    })

  /** The path's own lease and, on ZFS, its pool's: a scrub or another benchmark of the pool would distort the figures. */
  const leasedPath = <A, E, R>(target: string, job: Effect.Effect<A, E, R>) =>
    Effect.flatMap(poolOf(target), (pool) => {
      const onPath = withLease(env, { resource: pathResource(target), job: "benchmark" }, job)
      return pool === undefined ? onPath : withLease(env, { resource: `pool:${pool}`, job: "benchmark" }, onPath)
    })

  const benchmarkPath = (message: Parameters<typeof settings>[0] & { readonly target: string }, caller: Caller) =>
    Effect.scoped(Effect.gen(function*() {
      const { presets, sizeBytes, seconds } = settings(message)
      const started = yield* Clock.currentTimeMillis
      const fio = yield* bench.fio
      const job = `benchmark ${message.target}`
      // Made as the caller, inside the file roots; removed when this scope closes, whatever the outcome.
      const scratch = yield* callerFiles.scratch(caller, message.target, SCRATCH_STEM)
      const base = { target: message.target, kind: "path" as const, startedAt: new Date(started).toISOString(), sizeBytes, secondsPerPreset: seconds, uid: caller.uid }
      if (fio.available) {
        yield* env.progress({ job, done: 0, total: presets.length, unit: "presets" })
        yield* bench.prepare(scratch.toolPath, sizeBytes)
        const results = yield* runPresets(job, scratch.toolPath, presets, sizeBytes, seconds)
        const elapsed = ((yield* Clock.currentTimeMillis) - started) / 1000
        return yield* remember({ ...base, engine: "fio", fioVersion: fio.version, seconds: elapsed, results, notes: directNote(results) })
      }
      yield* env.progress({ job, done: 0, total: 2, unit: "presets" })
      const results = yield* bench.builtin({ file: scratch.toolPath, sizeBytes, seconds })
      yield* env.progress({ job, done: 2, total: 2, unit: "presets" })
      const elapsed = ((yield* Clock.currentTimeMillis) - started) / 1000
      return yield* remember({
        ...base,
        engine: "builtin",
        seconds: elapsed,
        results,
        notes: [
          `fio is missing (${fio.reason}): the built-in engine ran instead, so the presets asked for did not`,
          `the built-in engine measures ${BUILTIN_MEASURES}; it cannot measure ${BUILTIN_CANNOT}`,
          ...directNote(results)
        ]
      })
    }))

  return yield* serviceMachine(Velocity, {
    handlers: {
      benchmark: (message, { caller }) => leasedPath(message.target, benchmarkPath(message, caller)),
      "benchmark-device": (message, { caller }) =>
        Effect.gen(function*() {
          const { presets, sizeBytes, seconds } = settings(message)
          const path = devicePath(message.device)
          const writes = presets.some((p) => PRESETS[p].writes)
          const commands = presets.map((preset) => ["fio", ...fioArgv({ file: path, preset, sizeBytes, seconds, direct: true })])
          const destroys = writes
            ? `the data in the first ${sizeBytes / MiB} MiB of ${path} (partition table, filesystem or pool labels there): take everything on the device as lost`
            : "nothing: the presets only read"
          if (writes) {
            const device = findDevice(yield* disks.list, path)
            const holds = device === undefined ? "something lsblk does not show (it is not listed under that path)" : holdings(device)
            if (holds !== undefined) return yield* new DeviceInUse({ device: path, holds })
          }
          const plan = { planned: true, device: path, writes, destroys, commands }
          if (message.confirm !== true) return plan
          const fio = yield* bench.fio
          if (!fio.available) return yield* new FioUnavailable({ reason: fio.reason })
          const started = yield* Clock.currentTimeMillis
          const results = yield* withLease(env, { resource: `disk:${message.device}`, job: "benchmark" }, runPresets(`benchmark ${path}`, path, presets, sizeBytes, seconds))
          const result = yield* remember({
            target: path,
            kind: "device",
            engine: "fio",
            fioVersion: fio.version,
            startedAt: new Date(started).toISOString(),
            seconds: ((yield* Clock.currentTimeMillis) - started) / 1000,
            sizeBytes,
            secondsPerPreset: seconds,
            results,
            notes: directNote(results),
            uid: caller.uid
          })
          return { ...plan, planned: false, result }
        }),
      history: (message) =>
        Effect.sync(() =>
          history
            .filter((h) => message.target === undefined || h.target === message.target)
            .slice(-(message.limit ?? 20))
            .reverse()
        ),
      engines: () =>
        Effect.map(bench.fio, (fio) => ({
          fio: fio.available ? { available: true, version: fio.version } : { available: false, reason: fio.reason },
          builtin: { measures: BUILTIN_MEASURES, cannot: BUILTIN_CANNOT },
          uses: fio.available ? ("fio" as const) : ("builtin" as const)
        }))
    }
  })
})
