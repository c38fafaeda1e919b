import * as os from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { ProcStats, ProcStatsError } from "../../../src/adapters/procfs/ProcStats.ts"
import * as ProcStatsLive from "../../../src/adapters/procfs/ProcStatsLive.ts"
import * as ProcStatsTest from "../../../src/adapters/procfs/ProcStatsTest.ts"

const fixtures = join(import.meta.dirname, "../../fixtures/proc")

describe("ProcStatsLive", () => {
  it.effect("reads and parses the four files, stamped with Effect's monotonic clock", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust(1_234)
      const sample = yield* ProcStats.use((stats) => stats.sample).pipe(Effect.provide(ProcStatsLive.layerAt(fixtures)))
      assert.strictEqual(sample.monotonicMs, 1_234)
      assert.strictEqual(sample.cpu.user, 6062)
      assert.strictEqual(sample.memory.totalBytes, 24684084 * 1024)
      assert.strictEqual(sample.load.one, 0.34)
      assert.deepStrictEqual(sample.disks.map((disk) => disk.name), ["vda"])
    }))

  it.effect("fails with a ProcStatsError naming the file it could not read", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        ProcStats.use((stats) => stats.sample).pipe(Effect.provide(ProcStatsLive.layerAt("/nonexistent/proc")))
      )
      assert.instanceOf(error, ProcStatsError)
      assert.match(error.message, /^\/nonexistent\/proc\/(stat|meminfo|loadavg|diskstats): cannot read: /)
    }))

  it.effect("samples this machine's /proc", () =>
    Effect.gen(function*() {
      const sample = yield* ProcStats.use((stats) => stats.sample).pipe(Effect.provide(ProcStatsLive.layer))
      assert.strictEqual(sample.cpuCount, os.cpus().length)
      assert.isAbove(sample.memory.totalBytes, 0)
      assert.isAbove(sample.cpu.user + sample.cpu.system + sample.cpu.idle, 0)
    }))
})

describe("ProcStatsTest", () => {
  it.effect("plays back its script, then fails", () =>
    Effect.gen(function*() {
      const scripted: ProcStatsTest.ScriptedSample = {
        cpu: { user: 1, nice: 0, system: 0, idle: 1, iowait: 0, irq: 0, softirq: 0, steal: 0 },
        cpuCount: 1,
        memory: { totalBytes: 1, availableBytes: 1, swapTotalBytes: 0, swapFreeBytes: 0 },
        load: { one: 0, five: 0, fifteen: 0, runnable: 0, entities: 0 },
        disks: []
      }
      const stats = yield* ProcStatsTest.make([scripted, new ProcStatsError({ source: "x", reason: "scripted" })])
      yield* TestClock.adjust(50)
      assert.deepStrictEqual(yield* stats.sample, { ...scripted, monotonicMs: 50 })
      assert.strictEqual((yield* Effect.flip(stats.sample)).message, "x: scripted")
      assert.strictEqual((yield* Effect.flip(stats.sample)).message, "ProcStatsTest: script exhausted after 2 samples")
    }))
})
