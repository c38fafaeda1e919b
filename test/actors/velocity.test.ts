/**
 * VELOCITY: benchmarks of a directory on a scratch file made there and
 * removed afterwards, fio's presets with their exact argv (canned output of
 * real runs), limits refused at the boundary, the history kept and bounded,
 * the built-in fallback (for real) when fio is missing, raw devices only
 * planned unless confirmed and never written while they hold something, and,
 * with real fio, a cancelled benchmark that leaves no process and no file.
 */
import { readdirSync, readFileSync } from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Result } from "effect"
import * as CommandRunnerLive from "../../src/adapters/command/CommandRunnerLive.ts"
import * as CommandRunnerTest from "../../src/adapters/command/CommandRunnerTest.ts"
import { parseLsblk } from "../../src/adapters/disks/parse.ts"
import * as DisksTest from "../../src/adapters/disks/DisksTest.ts"
import * as StateStoreTest from "../../src/adapters/state/StateStoreTest.ts"
import { StateStore } from "../../src/adapters/state/StateStore.ts"
import { FIO_PRESETS } from "../../src/adapters/storagebench/fio.ts"
import { StorageBench } from "../../src/adapters/storagebench/StorageBench.ts"
import * as StorageBenchLive from "../../src/adapters/storagebench/StorageBenchLive.ts"
import * as StorageBenchTest from "../../src/adapters/storagebench/StorageBenchTest.ts"
import { VelocityConfig, defaultVelocityConfig } from "../../src/actors/velocity/config.ts"
import { velocityAgent } from "../../src/actors/velocity/index.ts"
import type { Benchmark } from "../../src/actors/velocity/messages.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import type { MetricHistory } from "../../src/history/History.ts"
import * as HistoryTest from "../../src/history/HistoryTest.ts"
import { arbiterAgent } from "../../src/actors/arbiter/index.ts"
import type { Disks } from "../../src/adapters/disks/Disks.ts"
import type { CallerFiles } from "../../src/adapters/fs/CallerFiles.ts"
import type { Zfs } from "../../src/adapters/zfs/Zfs.ts"
import * as ZfsTest from "../../src/adapters/zfs/ZfsTest.ts"
import type { Caller } from "../../src/runtime/Caller.ts"
import { counterAgent, ROOT, tree, watch } from "../support/agents.ts"
import { callerFilesInTmp, tempDir } from "../support/security.ts"
import { requireTools } from "../support/tools.ts"

const fixture = (dir: string, name: string) => readFileSync(path.join(import.meta.dirname, "../fixtures", dir, name), "utf8")
const reports = Object.fromEntries(FIO_PRESETS.map((preset) => [preset, fixture("fio", `${preset}.json`)]))
const lsblk = Layer.merge(DisksTest.layer({ devices: [...Result.getOrThrow(parseLsblk(fixture("lsblk", "nas-4hdd-nvme-usb.json")))] }), ZfsTest.layer(ZfsTest.model({ installed: false })))
const OPERATOR: Caller = { uid: 1000, gid: 1000, groups: [], via: "socket" }
const SCRATCH = /^\.sigmavault-benchmark\.tmp-\d+-[0-9a-f]{12}$/

const start = ActorSystem.make({ root: tree<StorageBench | CallerFiles | StateStore | Disks | Zfs | MetricHistory>("root", "one_for_one", [counterAgent("OTHER"), velocityAgent, arbiterAgent]) }).pipe(
  Effect.provide(HistoryTest.layer())
)
const leasesOf = (system: ActorSystem.ActorSystem) =>
  Effect.map(system.injectAsk(ROOT, "ARBITER", { type: "leases" }), (reply) => (reply as { leases: ReadonlyArray<{ holder: string; resource: string }> }).leases)

const withBench = (bench: StorageBenchTest.StorageBenchTest, store: Layer.Layer<StateStore> = StateStoreTest.layer()) =>
  Effect.provide(Layer.mergeAll(bench.layer, callerFilesInTmp, store, lsblk))

const failureOf = (exit: Exit.Exit<unknown, unknown>) => (Exit.isFailure(exit) ? (Cause.squash(exit.cause) as { _tag: string; message: string; rejection?: { _tag: string } }) : undefined)

describe("VELOCITY", () => {
  it.effect("benchmarks a directory with fio's six presets on a scratch file there, removed afterwards; progress per preset; kept in the history", () => {
    const bench = StorageBenchTest.make({ fioVersion: "fio-3.33", reports })
    return Effect.gen(function*() {
      const system = yield* start
      const events = yield* watch(system)
      const dir = yield* tempDir(`sigmavault-velocity-${process.pid}-`)
      const result = (yield* system.injectAsk(OPERATOR, "VELOCITY", { type: "benchmark", target: dir })) as Benchmark
      assert.deepStrictEqual([result.engine, result.fioVersion, result.kind, result.target, result.uid], ["fio", "fio-3.33", "path", dir, 1000])
      assert.deepStrictEqual(result.results.map((r) => r.preset), ["seq1m-q8t1-read", "seq1m-q8t1-write", "rnd4k-q32t1-read", "rnd4k-q32t1-write", "rnd4k-q1t1-read", "rnd4k-q1t1-write"])
      assert.deepStrictEqual([result.sizeBytes, result.secondsPerPreset], [256 * 1024 * 1024, 5])
      assert.deepStrictEqual(result.notes, [])
      const q32 = result.results[2]!
      assert.closeTo(q32.read!.iops, 36640.36, 0.01)
      assert.closeTo(q32.read!.latencyUs!.p999, 12386.304, 1e-9)
      // The file was made in the directory, filled first, then every preset ran on it.
      assert.lengthOf(bench.prepared, 1)
      const scratch = bench.prepared[0]!.file
      assert.strictEqual(path.dirname(scratch), dir)
      assert.match(path.basename(scratch), SCRATCH)
      assert.strictEqual(bench.prepared[0]!.sizeBytes, 256 * 1024 * 1024)
      assert.lengthOf(bench.runs, 6)
      assert.isTrue(bench.runs.every((run) => run.includes(` --filename=${scratch} `) && run.includes(" --size=268435456 --runtime=5 ")))
      assert.deepStrictEqual(readdirSync(dir), [], "the scratch file is gone")
      for (let done = 0; done <= 6; done++) {
        yield* events.until((e) => e._tag === "Progress" && e.agent === "VELOCITY" && e.done === done && e.total === 6)
      }

      const again = (yield* system.injectAsk(OPERATOR, "VELOCITY", { type: "benchmark", target: dir, presets: ["rnd4k-q32t1-mixed"], sizeMiB: 16, seconds: 2 })) as Benchmark
      assert.deepStrictEqual(again.results.map((r) => [r.preset, r.read !== undefined, r.write !== undefined]), [["rnd4k-q32t1-mixed", true, true]])
      assert.include(bench.runs.at(-1)!, "--rwmixread=70")
      const history = (yield* system.injectAsk(ROOT, "VELOCITY", { type: "history", target: dir })) as ReadonlyArray<Benchmark>
      assert.deepStrictEqual(history.map((h) => h.results.length), [1, 6], "newest first")
      assert.deepStrictEqual(yield* system.injectAsk(ROOT, "VELOCITY", { type: "history", target: "/elsewhere" }), [])
    }).pipe(Effect.scoped, withBench(bench))
  })

  it.effect("refuses sizes, runtimes and presets out of bounds at the boundary, and paths outside the file roots before anything runs", () => {
    const bench = StorageBenchTest.make({ fioVersion: "fio-3.33", reports })
    return Effect.gen(function*() {
      const system = yield* start
      const dir = yield* tempDir(`sigmavault-velocity-limits-${process.pid}-`)
      for (
        const [fields, named] of [
          [{ sizeMiB: 0 }, "sizeMiB"],
          [{ sizeMiB: 16_385 }, "sizeMiB"],
          [{ seconds: 61 }, "seconds"],
          [{ seconds: 1.5 }, "seconds"],
          [{ presets: [] }, "presets"],
          [{ presets: ["seq1m-q1t1-read"] }, "presets"],
          [{ presets: ["rnd4k-q32t1-read; rm -rf /"] }, "presets"]
        ] as const
      ) {
        const refused = failureOf(yield* Effect.exit(system.injectAsk(OPERATOR, "VELOCITY", { type: "benchmark", target: dir, ...fields })))
        assert.strictEqual(refused?._tag, "InvalidMessage", JSON.stringify(fields))
        assert.include(refused?.message, named)
      }
      const relative = failureOf(yield* Effect.exit(system.injectAsk(OPERATOR, "VELOCITY", { type: "benchmark", target: "srv/x" })))
      assert.strictEqual(relative?._tag, "InvalidMessage")
      for (const target of ["/etc", "/srv/not-a-root-here", "/proc/self"]) {
        const outside = failureOf(yield* Effect.exit(system.injectAsk(OPERATOR, "VELOCITY", { type: "benchmark", target })))
        assert.strictEqual(outside?.rejection?._tag, "FileError", target)
      }
      assert.deepStrictEqual([bench.runs, bench.prepared], [[], []], "nothing ran")
    }).pipe(Effect.scoped, withBench(bench))
  })

  it.effect("keeps a bounded history in the state store, which a restarted agent reads back", () => {
    const bench = StorageBenchTest.make({ fioVersion: "fio-3.33", reports })
    return Effect.gen(function*() {
      const store = yield* StateStoreTest.make()
      const inSystem = <A, E>(body: (system: ActorSystem.ActorSystem) => Effect.Effect<A, E>) =>
        Effect.flatMap(start, body).pipe(
          Effect.scoped,
          Effect.provide(Layer.mergeAll(bench.layer, callerFilesInTmp, lsblk, Layer.succeed(StateStore, store))),
          Effect.provideService(VelocityConfig, { ...defaultVelocityConfig, historyKeep: 3 })
        )
      const dir = yield* tempDir(`sigmavault-velocity-history-${process.pid}-`)
      yield* inSystem((system) =>
        Effect.forEach([1, 2, 3, 4], (sizeMiB) =>
          system.injectAsk(OPERATOR, "VELOCITY", { type: "benchmark", target: dir, presets: ["rnd4k-q1t1-read"], sizeMiB, seconds: 1 })))
      const kept = JSON.parse(store.documents.get("velocity-history")!).data as ReadonlyArray<Benchmark>
      assert.deepStrictEqual(kept.map((b) => b.sizeBytes / 1024 / 1024), [2, 3, 4], "the newest three")
      const history = (yield* inSystem((system) => system.injectAsk(ROOT, "VELOCITY", { type: "history", limit: 2 }))) as ReadonlyArray<Benchmark>
      assert.deepStrictEqual(history.map((b) => b.sizeBytes / 1024 / 1024), [4, 3])
    }).pipe(Effect.scoped)
  })

  it.effect("without fio, runs the built-in engine for real, labelled, saying what it cannot measure; engines says fio is missing", () =>
    Effect.gen(function*() {
      const system = yield* start
      const dir = yield* tempDir(`sigmavault-velocity-builtin-${process.pid}-`)
      const engines = (yield* system.injectAsk(ROOT, "VELOCITY", { type: "engines" })) as { fio: { available: boolean; reason: string }; uses: string; builtin: { cannot: string } }
      assert.deepStrictEqual([engines.fio.available, engines.uses], [false, "builtin"])
      assert.include(engines.fio.reason, "fio is not installed")
      assert.include(engines.builtin.cannot, "queue depth")
      const result = (yield* system.injectAsk(OPERATOR, "VELOCITY", { type: "benchmark", target: dir, sizeMiB: 4, seconds: 1 })) as Benchmark
      assert.strictEqual(result.engine, "builtin")
      assert.isUndefined(result.fioVersion)
      assert.deepStrictEqual(result.results.map((r) => [r.preset, r.engine]), [["seq1m-q1t1-write", "builtin"], ["seq1m-q1t1-read", "builtin"]])
      assert.isAbove(result.results[0]!.write!.mbPerSecond, 0)
      assert.isAbove(result.results[1]!.read!.bytes, 0)
      assert.match(result.notes[0]!, /^fio is missing \(fio is not installed/)
      assert.match(result.notes[1]!, /cannot measure queue depth/)
      assert.deepStrictEqual(readdirSync(dir), [], "the scratch file is gone")
    }).pipe(
      Effect.scoped,
      Effect.provide(Layer.mergeAll(
        Layer.succeed(StorageBench, StorageBenchLive.make(CommandRunnerTest.make({}).service)),
        callerFilesInTmp,
        StateStoreTest.layer(),
        lsblk
      ))
    ))

  it.effect("a raw device: planned with the exact commands unless confirmed; write presets refused while it holds partitions; runs read presets with confirm", () => {
    const bench = StorageBenchTest.make({ fioVersion: "fio-3.33", reports })
    return Effect.gen(function*() {
      const system = yield* start
      const plan = (yield* system.injectAsk(ROOT, "VELOCITY", { type: "benchmark-device", device: "sdb", presets: ["seq1m-q8t1-read"], sizeMiB: 64, seconds: 3 })) as {
        planned: boolean
        writes: boolean
        destroys: string
        commands: ReadonlyArray<ReadonlyArray<string>>
      }
      assert.deepStrictEqual([plan.planned, plan.writes, plan.destroys], [true, false, "nothing: the presets only read"])
      assert.deepStrictEqual(plan.commands[0]!.slice(0, 4), ["fio", "--output-format=json", "--name=seq1m-q8t1-read", "--filename=/dev/sdb"])
      assert.deepStrictEqual(bench.runs, [], "a plan runs nothing")

      const inUse = failureOf(yield* Effect.exit(system.injectAsk(ROOT, "VELOCITY", { type: "benchmark-device", device: "sdb", confirm: true })))
      assert.strictEqual(inUse?.rejection?._tag, "DeviceInUse")
      assert.match(inUse!.message, /\/dev\/sdb holds .*partition/)
      const unknown = failureOf(yield* Effect.exit(system.injectAsk(ROOT, "VELOCITY", { type: "benchmark-device", device: "/dev/disk/by-id/ata-X", presets: ["rnd4k-q1t1-write"] })))
      assert.strictEqual(unknown?.rejection?._tag, "DeviceInUse", "a device lsblk does not show is never written")
      assert.deepStrictEqual(bench.runs, [])

      const ran = (yield* system.injectAsk(ROOT, "VELOCITY", { type: "benchmark-device", device: "sdb", presets: ["seq1m-q8t1-read"], sizeMiB: 64, seconds: 3, confirm: true })) as { planned: boolean; result: Benchmark }
      assert.strictEqual(ran.planned, false)
      assert.deepStrictEqual([ran.result.kind, ran.result.target], ["device", "/dev/sdb"])
      assert.deepStrictEqual(bench.runs, [plan.commands[0]!.join(" ")])
      assert.deepStrictEqual(bench.prepared, [], "a device is never filled")
    }).pipe(Effect.scoped, withBench(bench))
  })

  it.effect("a device without fio is refused, not run on the built-in engine", () =>
    Effect.gen(function*() {
      const system = yield* start
      const refused = failureOf(yield* Effect.exit(system.injectAsk(ROOT, "VELOCITY", { type: "benchmark-device", device: "sdb", presets: ["rnd4k-q1t1-read"], confirm: true })))
      assert.strictEqual(refused?.rejection?._tag, "FioUnavailable")
    }).pipe(Effect.scoped, withBench(StorageBenchTest.make())))

  it.effect("holds ARBITER's benchmark leases while it runs: the path's and its pool's; refused, naming the holder, while a conflicting job holds either", () => {
    const bench = StorageBenchTest.make({ fioVersion: "fio-3.33", reports })
    return Effect.gen(function*() {
      const dir = yield* tempDir(`sigmavault-velocity-lease-${process.pid}-`)
      const pool = ZfsTest.layer(ZfsTest.model({
        datasets: [
          { name: "tank", pool: "tank", type: "filesystem", usedBytes: 0, availableBytes: 1, referencedBytes: 0, mountpoint: "/tank", mounted: true },
          { name: "tank/bench", pool: "tank", type: "filesystem", usedBytes: 0, availableBytes: 1, referencedBytes: 0, mountpoint: dir, mounted: true }
        ]
      }))
      yield* Effect.gen(function*() {
        const system = yield* start
        const request = { type: "benchmark", target: dir, presets: ["rnd4k-q1t1-read"], sizeMiB: 1, seconds: 1 }
        yield* system.injectAsk(ROOT, "ARBITER", { type: "acquire", resource: "pool:tank", job: "scrub", holder: "OTHER" })
        const busyPool = failureOf(yield* Effect.exit(system.injectAsk(OPERATOR, "VELOCITY", request)))
        assert.strictEqual(busyPool?.rejection?._tag, "LeaseConflict")
        assert.include(busyPool!.message, "OTHER holds pool:tank for scrub")
        yield* system.injectAsk(ROOT, "ARBITER", { type: "release", lease: "lease-1" })
        yield* system.injectAsk(ROOT, "ARBITER", { type: "acquire", resource: `path:${dir}`, job: "migration", holder: "OTHER" })
        const busyPath = failureOf(yield* Effect.exit(system.injectAsk(OPERATOR, "VELOCITY", request)))
        assert.include(busyPath!.message, `OTHER holds path:${dir} for migration`)
        assert.deepStrictEqual([bench.runs, readdirSync(dir)], [[], []], "nothing ran, nothing was made")
        yield* system.injectAsk(ROOT, "ARBITER", { type: "release", lease: "lease-2" })
        yield* system.injectAsk(OPERATOR, "VELOCITY", request)
        assert.lengthOf(bench.runs, 1)
        assert.deepStrictEqual(yield* leasesOf(system), [], "released after the run")
        yield* system.injectAsk(ROOT, "ARBITER", { type: "acquire", resource: "disk:sdb", job: "resilver", holder: "OTHER" })
        const busyDisk = failureOf(yield* Effect.exit(system.injectAsk(ROOT, "VELOCITY", { type: "benchmark-device", device: "sdb", presets: ["rnd4k-q1t1-read"], confirm: true })))
        assert.include(busyDisk!.message, "OTHER holds disk:sdb for resilver")
      }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(bench.layer, callerFilesInTmp, StateStoreTest.layer(), DisksTest.layer({ devices: [] }), pool)))
    }).pipe(Effect.scoped)
  })

  it.live("with real fio: a tiny benchmark of a directory, then one cancelled by its ask's timeout leaves no fio running and no file", () =>
    Effect.gen(function*() {
      requireTools("fio")
      const system = yield* start
      const dir = yield* tempDir(`sigmavault-velocity-fio-${process.pid}-`)
      const result = (yield* system.injectAsk(OPERATOR, "VELOCITY", { type: "benchmark", target: dir, presets: ["rnd4k-q32t1-read", "seq1m-q8t1-write"], sizeMiB: 4, seconds: 1 }, { timeoutMs: 60_000 })) as Benchmark
      assert.strictEqual(result.engine, "fio")
      assert.match(result.fioVersion!, /^fio-3/)
      assert.isAbove(result.results[0]!.read!.iops, 0)
      assert.isAbove(result.results[1]!.write!.mbPerSecond, 0)
      assert.deepStrictEqual(readdirSync(dir), [])

      const cancelled = failureOf(yield* Effect.exit(system.injectAsk(OPERATOR, "VELOCITY", { type: "benchmark", target: dir, presets: ["rnd4k-q1t1-read"], sizeMiB: 4, seconds: 60 }, { timeoutMs: 2_500 })))
      assert.strictEqual(cancelled?._tag, "AskTimeout")
      const fioOn = () =>
        readdirSync("/proc").filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
          try {
            const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8")
            return cmdline.startsWith("fio\0") && cmdline.includes(`--filename=${dir}`)
          } catch {
            return false
          }
        })
      for (let i = 0; i < 400 && (fioOn().length > 0 || readdirSync(dir).length > 0); i++) yield* Effect.sleep("25 millis")
      assert.deepStrictEqual([fioOn(), readdirSync(dir)], [[], []], "fio killed, scratch file removed")
      // The agent is free again.
      const engines = (yield* system.injectAsk(ROOT, "VELOCITY", { type: "engines" }, { timeoutMs: 20_000 })) as { uses: string }
      assert.strictEqual(engines.uses, "fio")
    }).pipe(
      Effect.scoped,
      Effect.provide(Layer.mergeAll(StorageBenchLive.layer.pipe(Layer.provide(CommandRunnerLive.layer())), callerFilesInTmp, StateStoreTest.layer(), lsblk))
    ), 120_000)
})
