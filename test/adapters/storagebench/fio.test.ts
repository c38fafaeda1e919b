/** fio's argv and the reading of its JSON, held against output captured from real fio 3.33 runs (test/fixtures/fio/). */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import * as fc from "fast-check"
import { DEFAULT_PRESETS, FIO_PRESETS, fioArgv, fioTimeoutMs, jsonPart, parseFioJson, PRESETS, presetResultOf, refusesDirect } from "../../../src/adapters/storagebench/fio.ts"

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "../../fixtures/fio", name), "utf8")

describe("fio presets and argv", () => {
  it("runs KDiskMark's six presets by default, the 70/30 mix on request", () => {
    assert.deepStrictEqual(DEFAULT_PRESETS, ["seq1m-q8t1-read", "seq1m-q8t1-write", "rnd4k-q32t1-read", "rnd4k-q32t1-write", "rnd4k-q1t1-read", "rnd4k-q1t1-write"])
    assert.include(FIO_PRESETS, "rnd4k-q32t1-mixed")
  })

  it("gives fio the exact arguments of a preset: block size, queue depth, time-based, O_DIRECT, fsync at the end, the three percentiles", () => {
    assert.deepStrictEqual(fioArgv({ file: "/proc/77/fd/9", preset: "rnd4k-q32t1-mixed", sizeBytes: 268435456, seconds: 5, direct: true }), [
      "--output-format=json",
      "--name=rnd4k-q32t1-mixed",
      "--filename=/proc/77/fd/9",
      "--rw=randrw",
      "--bs=4k",
      "--iodepth=32",
      "--numjobs=1",
      "--thread",
      "--size=268435456",
      "--runtime=5",
      "--time_based=1",
      "--ioengine=libaio",
      "--direct=1",
      "--invalidate=1",
      "--randrepeat=0",
      "--refill_buffers=1",
      "--zero_buffers=0",
      "--end_fsync=1",
      "--percentile_list=50:99:99.9",
      "--group_reporting=1",
      "--rwmixread=70"
    ])
    const seq = fioArgv({ file: "/dev/sdb", preset: "seq1m-q8t1-write", sizeBytes: 1048576, seconds: 1, direct: false })
    assert.includeMembers([...seq], ["--rw=write", "--bs=1m", "--iodepth=8", "--direct=0"])
    assert.notInclude([...seq], "--rwmixread=70")
  })

  it("property: whatever the file name, it reaches fio as one file (':' escaped) in one argument", () => {
    fc.assert(fc.property(fc.string({ minLength: 1 }), fc.constantFrom(...FIO_PRESETS), (name, preset) => {
      const argv = fioArgv({ file: `/srv/${name}`, preset, sizeBytes: 1 << 20, seconds: 1, direct: true })
      const filename = argv.filter((a) => a.startsWith("--filename="))
      assert.lengthOf(filename, 1)
      // fio splits at an unescaped ':'; none is left.
      assert.notMatch(filename[0]!.replace(/\\\\/g, "").replace(/\\:/g, ""), /:/)
      assert.strictEqual(argv.length, PRESETS[preset].rw === "randrw" ? 21 : 20)
    }))
  })

  it("bounds a run's time by its runtime, the final fsync and a margin", () => {
    assert.strictEqual(fioTimeoutMs(5, 256 * 1024 * 1024), (10 + 60 + 26) * 1000)
  })
})

describe("fio's JSON", () => {
  it("reads MB/s, IOPS and clat p50/p99/p99.9 of every captured preset, in the units the replies use", () => {
    const expected: Record<string, { dir: "read" | "write"; bw: number; iops: number; p50: number; p99: number; p999: number; mean: number }> = {
      "seq1m-q8t1-read": { dir: "read", bw: 1286322439, iops: 1226.732673, p50: 6193152, p99: 13565952, p999: 20840448, mean: 6385054.438257 },
      "seq1m-q8t1-write": { dir: "write", bw: 1713475637, iops: 1634.097707, p50: 3588096, p99: 10289152, p999: 13565952, mean: 4368325.544234 },
      "rnd4k-q32t1-read": { dir: "read", bw: 150078913, iops: 36640.35964, p50: 561152, p99: 5275648, p999: 12386304, mean: 871861.629795 },
      "rnd4k-q32t1-write": { dir: "write", bw: 84499868, iops: 20629.850746, p50: 749568, p99: 7634944, p999: 9895936, mean: 1542264.728645 },
      "rnd4k-q1t1-read": { dir: "read", bw: 27309394, iops: 6667.332667, p50: 58112, p99: 2441216, p999: 5996544, mean: 148367.361402 },
      "rnd4k-q1t1-write": { dir: "write", bw: 8858981, iops: 2162.837163, p50: 61184, p99: 5079040, p999: 44302336, mean: 458635.587529 }
    }
    for (const [preset, e] of Object.entries(expected)) {
      const report = Result.getOrThrow(parseFioJson(fixture(`${preset}.json`)))
      assert.strictEqual(report.version, "fio-3.33")
      assert.strictEqual(report.error, 0)
      const args = { file: "/f", preset: preset as (typeof FIO_PRESETS)[number], sizeBytes: 1, seconds: 1, direct: true }
      const result = presetResultOf(report, args, fioArgv(args))
      const m = (result as Record<string, unknown>)[e.dir] as { mbPerSecond: number; iops: number; latencyUs: Record<string, number> }
      assert.closeTo(m.mbPerSecond, e.bw / 1e6, 1e-9, preset)
      assert.closeTo(m.iops, e.iops, 1e-9, preset)
      assert.deepStrictEqual(m.latencyUs, { mean: e.mean / 1000, p50: e.p50 / 1000, p99: e.p99 / 1000, p999: e.p999 / 1000 }, preset)
      // Only the direction the preset exercises is reported.
      assert.isUndefined((result as Record<string, unknown>)[e.dir === "read" ? "write" : "read"], preset)
      assert.strictEqual(result.argv[0], "fio")
    }
  })

  it("reads both directions of the 70/30 mix", () => {
    const report = Result.getOrThrow(parseFioJson(fixture("rnd4k-q32t1-mixed.json")))
    const args = { file: "/f", preset: "rnd4k-q32t1-mixed" as const, sizeBytes: 1, seconds: 1, direct: true }
    const result = presetResultOf(report, args, fioArgv(args)) as { read: { iops: number }; write: { iops: number } }
    assert.closeTo(result.read.iops, 33159.84016, 1e-6)
    assert.closeTo(result.write.iops, 14217.782218, 1e-6)
    // 70/30 by operation count, give or take.
    assert.closeTo(result.read.iops / (result.read.iops + result.write.iops), 0.7, 0.02)
  })

  it("reads a failed job's errno (fio exits 1 and still prints its JSON)", () => {
    const report = Result.getOrThrow(parseFioJson(fixture("job-error-eisdir.json")))
    assert.strictEqual(report.error, 21)
    assert.strictEqual(report.read.bytes, 0)
    assert.isUndefined(report.read.percentilesNs)
    assert.match(fixture("job-error-eisdir.stderr"), /err=21.*Is a directory/)
  })

  it("finds the document after notes fio prints first, and names the bad field of a broken one", () => {
    const text = fixture("rnd4k-q1t1-read.json")
    assert.strictEqual(jsonPart(`note: both iodepth >= 1 and synchronous I/O engine are selected\n${text}`), text)
    assert.isTrue(Result.isSuccess(parseFioJson(`fio: some warning\n${text}`)))
    const broken = JSON.parse(text)
    broken.jobs[0].read.clat_ns.percentile = { "50.000000": 1 }
    const failed = parseFioJson(JSON.stringify(broken))
    assert.isTrue(Result.isFailure(failed))
    assert.match(Result.isFailure(failed) ? failed.failure.message : "", /jobs\.0\.read\.clat_ns\.percentile: no 99 percentile/)
    assert.match(Result.isFailure(parseFioJson("fio: no such engine")) ? "not json" : "", /not json/)
  })

  it("tells a filesystem refusing O_DIRECT from other failures", () => {
    assert.isTrue(refusesDirect(22, "fio: pid=0, err=22/file:filesetup.c:805, func=open(/x), error=Invalid argument"))
    assert.isFalse(refusesDirect(21, "fio: pid=0, err=21/file:filesetup.c:150, func=unlink, error=Is a directory"))
  })
})
