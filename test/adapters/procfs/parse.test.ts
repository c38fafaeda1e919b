import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import * as fc from "fast-check"
import {
  isCountedDisk,
  parseDiskstats,
  parseLoadavg,
  parseMeminfo,
  parseSample,
  parseStat
} from "../../../src/adapters/procfs/parse.ts"
import { ProcStatsError } from "../../../src/adapters/procfs/ProcStats.ts"

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "../../fixtures/proc", name), "utf8")

const success = <A>(result: Result.Result<A, ProcStatsError>): A => {
  if (Result.isFailure(result)) assert.fail(`expected success, got ${result.failure.message}`)
  return result.success
}

const failureMessage = (result: Result.Result<unknown, ProcStatsError>): string => {
  if (Result.isSuccess(result)) return assert.fail("expected a ProcStatsError")
  assert.instanceOf(result.failure, ProcStatsError)
  return result.failure.message
}

const KiB = 1024

describe("/proc/stat", () => {
  it("reads the aggregate cpu line and counts the cpuN lines", () => {
    assert.deepStrictEqual(success(parseStat(fixture("stat"))), {
      cpu: { user: 6062, nice: 0, system: 3108, idle: 168293, iowait: 337, irq: 0, softirq: 59, steal: 163 },
      cpuCount: 2
    })
  })

  it("takes the counters an old kernel lacks as 0", () => {
    const parsed = success(parseStat("cpu  10 1 5 100\ncpu0 10 1 5 100\n"))
    assert.deepStrictEqual(parsed.cpu, { user: 10, nice: 1, system: 5, idle: 100, iowait: 0, irq: 0, softirq: 0, steal: 0 })
  })

  it("says what is wrong with malformed text", () => {
    assert.strictEqual(failureMessage(parseStat("intr 1 2 3\n")), "/proc/stat: no aggregate 'cpu' line")
    assert.include(failureMessage(parseStat("cpu 1 2 x 4\ncpu0 1 2 3 4")), "needs at least 4 counters")
    assert.include(failureMessage(parseStat("cpu 1 2 3\ncpu0 1 2 3 4")), "needs at least 4 counters")
    assert.strictEqual(failureMessage(parseStat("cpu 1 2 3 4\n")), "/proc/stat: no per-CPU 'cpuN' lines")
  })
})

describe("/proc/meminfo", () => {
  it("reads total, available and swap in bytes", () => {
    assert.deepStrictEqual(success(parseMeminfo(fixture("meminfo"))), {
      totalBytes: 24684084 * KiB,
      availableBytes: 24277856 * KiB,
      swapTotalBytes: 0,
      swapFreeBytes: 0
    })
  })

  it("estimates available memory on kernels without MemAvailable", () => {
    const text = "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 20 kB\nCached: 300 kB\nSwapTotal: 50 kB\nSwapFree: 40 kB\n"
    assert.deepStrictEqual(success(parseMeminfo(text)), {
      totalBytes: 1000 * KiB,
      availableBytes: 420 * KiB,
      swapTotalBytes: 50 * KiB,
      swapFreeBytes: 40 * KiB
    })
  })

  it("says what is missing", () => {
    assert.strictEqual(failureMessage(parseMeminfo("MemFree: 1 kB\n")), "/proc/meminfo: no 'MemTotal:' line")
    assert.include(failureMessage(parseMeminfo("MemTotal: 1 kB\n")), "neither 'MemAvailable:' nor 'MemFree:'")
  })
})

describe("/proc/loadavg", () => {
  it("reads the three averages and the entity counts", () => {
    assert.deepStrictEqual(success(parseLoadavg(fixture("loadavg"))), {
      one: 0.34,
      five: 0.14,
      fifteen: 0.07,
      runnable: 1,
      entities: 84
    })
  })

  it("rejects text of another shape", () => {
    assert.include(failureMessage(parseLoadavg("0.1 0.2\n")), "/proc/loadavg: expected")
    assert.include(failureMessage(parseLoadavg("0.1 0.2 abc 1/2 3\n")), "/proc/loadavg: expected")
  })
})

describe("/proc/diskstats", () => {
  it("keeps the whole disk of this machine and skips its loop and zram devices", () => {
    assert.deepStrictEqual(success(parseDiskstats(fixture("diskstats"))), [{
      name: "vda",
      readsCompleted: 18934,
      writesCompleted: 2147,
      sectorsRead: 2036002,
      sectorsWritten: 1347224,
      ioTicksMs: 4472
    }])
  })

  // Not captured: a NAS-like mix of device names, 14-, 18- and 20-field lines (Linux 2.6, 4.18, 5.5).
  const nas = [
    "   8       0 sda 1 0 8 0 2 0 16 0 0 30 0",
    "   8       1 sda1 1 0 8 0 2 0 16 0 0 30 0",
    "   8      16 sdb 1 0 8 0 2 0 16 0 0 30 0 0 0 0 0",
    "   8      17 sdb1 1 0 8",
    " 259       0 nvme0n1 1 0 8 0 2 0 16 0 0 30 0 0 0 0 0 0 0",
    " 259       1 nvme0n1p1 1 0 8 0 2 0 16 0 0 30 0 0 0 0 0 0 0",
    " 259       2 nvme0n10 1 0 8 0 2 0 16 0 0 30 0 0 0 0 0 0 0",
    " 179       0 mmcblk0 1 0 8 0 2 0 16 0 0 30 0",
    " 179       1 mmcblk0p1 1 0 8 0 2 0 16 0 0 30 0",
    "  65     240 sdp 1 0 8 0 2 0 16 0 0 30 0",
    "  65     241 sdp1 1 0 8 0 2 0 16 0 0 30 0",
    "   9       0 md0 1 0 8 0 2 0 16 0 0 30 0",
    " 253       0 dm-0 1 0 8 0 2 0 16 0 0 30 0",
    "   7       0 loop0 1 0 8 0 2 0 16 0 0 30 0",
    "   1       0 ram0 1 0 8 0 2 0 16 0 0 30 0",
    " 252       0 zram0 1 0 8 0 2 0 16 0 0 30 0",
    " 230       0 zd0 1 0 8 0 2 0 16 0 0 30 0",
    "  43       0 nbd0 1 0 8 0 2 0 16 0 0 30 0"
  ].join("\n")

  it("counts whole disks only: partitions follow the kernel's naming, virtual devices are skipped", () => {
    assert.deepStrictEqual(
      success(parseDiskstats(nas)).map((disk) => disk.name),
      ["sda", "sdb", "nvme0n1", "nvme0n10", "mmcblk0", "sdp"]
    )
    const names = new Set(["sda", "sda1", "nvme0n1", "nvme0n1p2"])
    assert.isFalse(isCountedDisk("sda1", names))
    assert.isFalse(isCountedDisk("nvme0n1p2", names))
    // Without its disk in the listing, a name is not taken for a partition.
    assert.isTrue(isCountedDisk("sdb1", names))
    // The "p" separator is only used after a disk name ending in a digit.
    assert.isTrue(isCountedDisk("sdap1", new Set(["sda", "sdap1"])))
  })

  it("rejects a line it cannot read for a disk it counts", () => {
    assert.include(failureMessage(parseDiskstats("8 0 sda 1 2 3\n")), "/proc/diskstats: sda needs at least 11 counters")
    assert.include(failureMessage(parseDiskstats("8 0 sda 1 2 3 4 5 6 7 8 9 -1 11\n")), "sda needs at least 11 counters")
    assert.include(failureMessage(parseDiskstats("sda 1 2 3\n")), "expected \"major minor name counters…\"")
  })
})

describe("a whole sample", () => {
  it("combines the four files, stamped with the given time", () => {
    const sample = success(parseSample({
      stat: fixture("stat"),
      meminfo: fixture("meminfo"),
      loadavg: fixture("loadavg"),
      diskstats: fixture("diskstats")
    }, 1234))
    assert.strictEqual(sample.monotonicMs, 1234)
    assert.strictEqual(sample.cpuCount, 2)
    assert.deepStrictEqual(sample.disks.map((disk) => disk.name), ["vda"])
  })

  it("fails with the first file that does not parse", () => {
    const result = parseSample({ stat: fixture("stat"), meminfo: "", loadavg: fixture("loadavg"), diskstats: "" }, 0)
    assert.strictEqual(failureMessage(result), "/proc/meminfo: no 'MemTotal:' line")
  })
})

describe("the parsers on arbitrary text", () => {
  const parsers = [parseStat, parseMeminfo, parseLoadavg, parseDiskstats]
  const fixtureLines = ["stat", "meminfo", "loadavg", "diskstats"].flatMap((name) => fixture(name).split("\n"))
  const token = fc.oneof(
    fc.string({ maxLength: 8 }),
    fc.stringMatching(/^\d{1,20}$/),
    fc.constantFrom("cpu", "cpu0", "MemTotal:", "kB", "sda", "sda1", "nvme0n1p1", "1/84", "0.07")
  )
  const procLikeText = fc.array(
    fc.oneof(
      fc.constantFrom(...fixtureLines),
      fc.array(token, { maxLength: 20 }).map((tokens) => tokens.join(" ")),
      fc.string({ unit: "binary" })
    ),
    { maxLength: 30 }
  ).map((lines) => lines.join("\n"))

  const neverThrow = (text: string) => {
    for (const parse of parsers) {
      const result = parse(text) as Result.Result<unknown, unknown>
      if (Result.isFailure(result)) assert.instanceOf(result.failure, ProcStatsError)
    }
  }

  it("never throw on any string", () => {
    fc.assert(fc.property(fc.string({ unit: "binary" }), neverThrow), { numRuns: 500 })
  })

  it("never throw on /proc-like text, and only report whole disks with every counter a number", () => {
    fc.assert(
      fc.property(procLikeText, (text) => {
        neverThrow(text)
        const disks = parseDiskstats(text)
        if (Result.isSuccess(disks)) {
          for (const disk of disks.success) {
            assert.isFalse(/^(?:loop|ram|zram)\d/.test(disk.name))
            assert.isTrue(Object.values(disk).every((value) => typeof value === "string" || Number.isFinite(value)))
          }
        }
      }),
      { numRuns: 500 }
    )
  })
})
