/** The live StorageBench against real fio and the real filesystem, in a temporary directory, with tiny sizes and runtimes. */
import { readdirSync, readFileSync } from "node:fs"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import * as CommandRunnerLive from "../../../src/adapters/command/CommandRunnerLive.ts"
import * as CommandRunnerTest from "../../../src/adapters/command/CommandRunnerTest.ts"
import * as StorageBenchLive from "../../../src/adapters/storagebench/StorageBenchLive.ts"
import { tempDir } from "../../support/security.ts"
import { requireTools } from "../../support/tools.ts"

const MiB = 1024 * 1024
const live = StorageBenchLive.make(CommandRunnerLive.make())

/** Processes whose command line mentions `text`, by pid. */
const processesWith = (text: string) =>
  readdirSync("/proc").filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text)
    } catch {
      return false
    }
  })

describe("StorageBench (live)", () => {
  it.live("runs real fio on a prepared file: a read and a write preset with MB/s, IOPS and clat percentiles", () =>
    Effect.gen(function*() {
      requireTools("fio")
      const dir = yield* tempDir(`sigmavault-bench-${process.pid}-`)
      const file = path.join(dir, "scratch")
      yield* Effect.promise(() => fs.writeFile(file, ""))
      const fio = yield* live.fio
      assert.isTrue(fio.available)
      assert.match(fio.available ? fio.version : "", /^fio-\d+\.\d+/)
      yield* live.prepare(file, 4 * MiB)
      const filled = yield* Effect.promise(() => fs.readFile(file))
      assert.strictEqual(filled.length, 4 * MiB)
      // Incompressible: no two 4 KiB pages alike, not zeros.
      const pages = new Set(Array.from({ length: 64 }, (_, i) => filled.subarray(i * 4096, (i + 1) * 4096).toString("hex")))
      assert.strictEqual(pages.size, 64)

      const read = yield* live.runFio({ file, preset: "rnd4k-q1t1-read", sizeBytes: 4 * MiB, seconds: 1, direct: true })
      assert.strictEqual(read.engine, "fio")
      assert.isUndefined(read.write)
      assert.isAbove(read.read!.iops, 0)
      assert.isAbove(read.read!.mbPerSecond, 0)
      const lat = read.read!.latencyUs!
      assert.isTrue(lat.p50 > 0 && lat.p50 <= lat.p99 && lat.p99 <= lat.p999, JSON.stringify(lat))
      const write = yield* live.runFio({ file, preset: "seq1m-q8t1-write", sizeBytes: 4 * MiB, seconds: 1, direct: true })
      assert.isAbove(write.write!.mbPerSecond, 0)
      assert.isUndefined(write.read)
      assert.includeMembers([...write.argv!], ["fio", "--rw=write", "--bs=1m", "--iodepth=8", `--filename=${file}`])
      // fio never replaced the file (it was not laid out anew): the same size, the one file.
      assert.strictEqual((yield* Effect.promise(() => fs.stat(file))).size, 4 * MiB)
      assert.deepStrictEqual(readdirSync(dir), ["scratch"])
    }).pipe(Effect.scoped), 60_000)

  it.live("a cancelled fio run is killed", () =>
    Effect.gen(function*() {
      requireTools("fio")
      const dir = yield* tempDir(`sigmavault-bench-cancel-${process.pid}-`)
      const file = path.join(dir, "scratch")
      yield* Effect.promise(() => fs.writeFile(file, ""))
      yield* live.prepare(file, 2 * MiB)
      const fiber = yield* Effect.forkChild(live.runFio({ file, preset: "rnd4k-q1t1-read", sizeBytes: 2 * MiB, seconds: 60, direct: true }))
      // Wait (bounded) until fio runs, then cancel.
      for (let i = 0; i < 200 && processesWith(file).length === 0; i++) yield* Effect.sleep("25 millis")
      assert.isNotEmpty(processesWith(file), "fio started")
      yield* Fiber.interrupt(fiber)
      for (let i = 0; i < 200 && processesWith(file).length > 0; i++) yield* Effect.sleep("25 millis")
      assert.isEmpty(processesWith(file), "no fio left running")
    }).pipe(Effect.scoped), 60_000)

  it.live("the built-in engine writes then reads the file sequentially, O_DIRECT here, with its numbers", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir(`sigmavault-bench-builtin-${process.pid}-`)
      const file = path.join(dir, "scratch")
      yield* Effect.promise(() => fs.writeFile(file, ""))
      const results = yield* live.builtin({ file, sizeBytes: 8 * MiB, seconds: 2 })
      assert.deepStrictEqual(results.map((r) => [r.preset, r.engine]), [["seq1m-q1t1-write", "builtin"], ["seq1m-q1t1-read", "builtin"]])
      const [write, read] = results
      assert.isAbove(write!.write!.bytes, 0)
      assert.isAbove(write!.write!.mbPerSecond, 0)
      assert.strictEqual(read!.read!.bytes, write!.write!.bytes, "reads back what it wrote")
      // ext4 (this machine's /tmp) takes O_DIRECT, so latencies are measured; without it they would be absent.
      assert.isTrue(write!.direct && read!.direct)
      assert.isDefined(read!.read!.latencyUs)
      assert.strictEqual((yield* Effect.promise(() => fs.stat(file))).size, write!.write!.bytes)
    }).pipe(Effect.scoped), 60_000)

  it.effect("without fio, says so instead of failing", () =>
    Effect.gen(function*() {
      const noFio = StorageBenchLive.make(CommandRunnerTest.make({}).service)
      const fio = yield* noFio.fio
      assert.deepStrictEqual(fio, { available: false, reason: "fio is not installed (not found on PATH)" })
    }))
})
