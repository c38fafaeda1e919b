import { Result } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { parseDatasetList, parsePoolList, parsePoolStatus, parseProperties } from "../../../src/adapters/zfs/parse.ts"
import { cDate, syntheticStatusJson } from "../../support/zpoolJson.ts"
import type { PoolStatus, Vdev } from "../../../src/adapters/zfs/Zfs.ts"
import { fixture } from "./fakeRunner.ts"

const ok = <A, E extends { readonly message: string }>(result: Result.Result<A, E>): A => {
  if (Result.isFailure(result)) throw new Error(`expected success: ${result.failure.message}`)
  return result.success
}
const failure = <A, E>(result: Result.Result<A, E>): E => {
  if (Result.isSuccess(result)) throw new Error("expected a failure")
  return result.failure
}
const status = (name: string) => ok(parsePoolStatus(fixture(name)))
const T = 1024 ** 4
const leaves = (vdev: Vdev): Array<Vdev> => (vdev.children.length === 0 ? [vdev] : vdev.children.flatMap(leaves))

describe("zpool status -j", () => {
  it("a healthy two-way mirror: the tree, by-id paths, sizes, a finished scrub", () => {
    const [pool] = status("status-mirror-healthy.int.json")
    expect([pool!.name, pool!.state, pool!.status, pool!.dataErrors]).toEqual(["tank", "ONLINE", undefined, "No known data errors"])
    expect(pool!.vdevs.map((v) => [v.name, v.type, v.class, v.state, v.children.length])).toEqual([["mirror-0", "mirror", "data", "ONLINE", 2]])
    const mirror = pool!.vdevs[0]!
    expect([mirror.sizeBytes, mirror.allocatedBytes, mirror.parity]).toEqual([3980298049536, 1781208498176, undefined])
    expect(mirror.children.map((d) => [d.type, d.path, d.sizeBytes])).toEqual([
      ["disk", "/dev/disk/by-id/ata-WDC_WD40EFRX-68N32N0_WD-WCC7K1ABCDEF-part1", 4000787030016],
      ["disk", "/dev/disk/by-id/ata-WDC_WD40EFRX-68N32N0_WD-WCC7K2GHIJKL-part1", 4000787030016]
    ])
    expect(pool!.scan).toEqual({
      function: "scrub",
      state: "finished",
      paused: false,
      startTime: "2026-11-08T00:24:01.000Z",
      endTime: "2026-11-08T03:11:45.000Z",
      toExamineBytes: 1781208498176,
      examinedBytes: 1781208498176,
      issuedBytes: 1781199889408,
      processedBytes: 0,
      errors: 0,
      percent: 100
    })
  })

  it("a DEGRADED raidz1: a FAULTED disk with read errors, checksum errors, zpool's status and action as one paragraph", () => {
    const [pool] = status("status-raidz1-degraded.int.json")
    expect(pool!.state).toBe("DEGRADED")
    expect(pool!.status).toBe(
      "One or more devices are faulted in response to persistent errors. Sufficient replicas exist for the pool to continue functioning in a degraded state."
    )
    expect(pool!.action).toBe("Replace the faulted device, or use 'zpool clear' to mark the device repaired.")
    const raidz = pool!.vdevs[0]!
    expect([raidz.name, raidz.type, raidz.parity, raidz.state, raidz.class]).toEqual(["raidz1-0", "raidz", 1, "DEGRADED", "data"])
    expect(raidz.children.map((d) => [d.name, d.state, d.readErrors, d.writeErrors, d.checksumErrors, d.path])).toEqual([
      ["sda", "ONLINE", 0, 0, 0, "/dev/sda1"],
      ["sdb", "FAULTED", 3, 0, 0, "/dev/sdb1"],
      ["sdc", "ONLINE", 0, 0, 14, "/dev/sdc1"],
      ["sdd", "ONLINE", 0, 0, 0, "/dev/sdd1"]
    ])
    expect(pool!.scan).toMatchObject({ function: "scrub", state: "finished", processedBytes: 1048576, percent: 100, startTime: "2026-11-13T03:00:00.000Z" })
  })

  it("special, log, cache and spare vdevs in their classes, after the data vdevs; a scrub at 30 % and a paused one at 25 %", () => {
    const [backup, vault] = status("status-raidz2-special-scrubbing.int.json")
    expect(vault!.vdevs.map((v) => [v.name, v.type, v.class, v.state])).toEqual([
      ["raidz2-0", "raidz", "data", "ONLINE"],
      ["mirror-1", "mirror", "special", "ONLINE"],
      ["mirror-2", "mirror", "log", "ONLINE"],
      ["sdg", "disk", "cache", "ONLINE"],
      ["sdh", "disk", "spare", "AVAIL"]
    ])
    const raidz2 = vault!.vdevs[0]!
    expect([raidz2.parity, raidz2.children.length, raidz2.sizeBytes, raidz2.allocatedBytes]).toEqual([2, 6, 71987880378368, 32985348833280])
    // A log vdev with nothing allocated has no alloc_space; a spare has no counters at all.
    expect(vault!.vdevs[2]!.allocatedBytes).toBeUndefined()
    expect(vault!.vdevs[4]).toMatchObject({ readErrors: 0, writeErrors: 0, checksumErrors: 0, path: "/dev/sdh1", sizeBytes: undefined })
    expect(vault!.scan).toMatchObject({ function: "scrub", state: "scanning", paused: false, percent: 30, issuedBytes: 9928987145011, toExamineBytes: 33096623816704 })
    expect(vault!.scan.endTime).toBeUndefined()
    expect(backup!.scan).toMatchObject({ function: "scrub", state: "scanning", paused: true, percent: 25 })
  })

  it("a resilver onto a new disk through a replacing vdev, the old disk gone (CANT_OPEN reads as UNAVAIL)", () => {
    const [pool] = status("status-resilvering.int.json")
    expect(pool!.scan).toMatchObject({ function: "resilver", state: "scanning", paused: false, percent: 48.83, processedBytes: 858993459200 })
    expect(pool!.status).toBe("One or more devices is currently being resilvered. The pool will continue to function, possibly in a degraded state.")
    const replacing = pool!.vdevs[0]!.children[1]!
    expect([replacing.name, replacing.type, replacing.state]).toEqual(["replacing-1", "replacing", "DEGRADED"])
    expect(replacing.children.map((c) => [c.name, c.state, c.path])).toEqual([
      ["16522334455667788990", "UNAVAIL", "/dev/sdb1"],
      ["sdk", "ONLINE", "/dev/sdk1"]
    ])
  })

  it("zpool's message id (its see: line) is kept: a mirror with a missing disk is ZFS-8000-2Q; statuses without one have none", () => {
    const [pool] = status("status-mirror-missing.int.json")
    expect([pool!.state, pool!.msgid]).toEqual(["DEGRADED", "ZFS-8000-2Q"])
    expect(pool!.action).toBe("Attach the missing device and online it using 'zpool online'.")
    expect(pool!.vdevs[0]!.children.map((c) => c.state)).toEqual(["ONLINE", "UNAVAIL"])
    expect(status("status-resilvering.int.json")[0]!.msgid).toBeUndefined()
    expect(status("status-mirror-healthy.int.json")[0]!.msgid).toBeUndefined()
    const odd = JSON.parse(fixture("status-mirror-missing.int.json"))
    odd.pools.tank.msgid = "see the docs; rm -rf /"
    expect(ok(parsePoolStatus(JSON.stringify(odd)))[0]!.msgid).toBeUndefined()
  })

  it("--json-flat-vdevs gives the same pool as the nested layout", () => {
    const [flat] = status("status-flat-vdevs.int.json")
    const [, nested] = status("status-raidz2-special-scrubbing.int.json")
    expect(flat).toEqual(nested)
    // And from `parent` links alone, where a vdev carries no nested `vdevs`.
    const doc = JSON.parse(fixture("status-flat-vdevs.int.json"))
    for (const vdev of Object.values(doc.pools.vault.vdevs) as Array<{ vdevs?: unknown }>) delete vdev.vdevs
    expect(ok(parsePoolStatus(JSON.stringify(doc)))[0]).toEqual(nested)
  })

  it("vdev states as the kernel names them read as zpool's words", () => {
    const doc = JSON.parse(fixture("status-raidz1-degraded.int.json"))
    const disks = doc.pools.tank.vdevs.tank.vdevs["raidz1-0"].vdevs
    Object.assign(disks.sda, { state: "CANT_OPEN", aux: "CORRUPT_DATA" })
    Object.assign(disks.sdb, { state: "CLOSED" })
    Object.assign(disks.sdc, { state: "REMOVED" })
    Object.assign(disks.sdd, { state: "CANT_OPEN", aux: "OPEN_FAILED" })
    const [pool] = ok(parsePoolStatus(JSON.stringify(doc)))
    expect(pool!.vdevs[0]!.children.map((d) => d.state)).toEqual(["FAULTED", "OFFLINE", "REMOVED", "UNAVAIL"])
  })

  it("pools keyed by guid (--json-pool-key-guid), a pool never scanned, data errors", () => {
    const doc = JSON.parse(fixture("status-mirror-healthy.int.json"))
    const pool = doc.pools.tank
    delete pool.scan_stats
    pool.error_count = 3
    const [read] = ok(parsePoolStatus(JSON.stringify({ ...doc, pools: { "10294876544401882343": pool } })))
    expect([read!.name, read!.vdevs[0]!.name, read!.dataErrors]).toEqual(["tank", "mirror-0", "3 data errors, use '-v' for a list"])
    expect(read!.scan).toEqual({ function: "none", state: "none", paused: false, errors: 0 })
  })

  it("a sequential resilver reported only through rebuild_stats", () => {
    const doc = JSON.parse(fixture("status-mirror-healthy.int.json"))
    doc.pools.tank.scan_stats = {
      rebuild_stats: {
        "mirror-0": { name: "mirror-0", state: "ACTIVE", start_time: 1795380000, end_time: 0, scanned: 500, issued: 400, rebuilt: 300, to_scan: 1000, errors: 0 }
      }
    }
    const [pool] = ok(parsePoolStatus(JSON.stringify(doc)))
    expect(pool!.scan).toMatchObject({ function: "resilver", state: "scanning", percent: 40, examinedBytes: 500, processedBytes: 300 })
  })

  it("the man page's example shape (no vdev_type on the root, HEALTHY, status OK) still reads", () => {
    const doc = {
      output_version: { command: "zpool status", vers_major: 0, vers_minor: 1 },
      pools: {
        tank: {
          name: "tank",
          state: "ONLINE",
          status: "OK",
          vdevs: {
            tank: {
              name: "tank",
              alloc_space: "62.6G",
              total_space: "15.0T",
              vdevs: { "raidz1-0": { name: "raidz1-0", vdev_type: "raidz", state: "HEALTHY", vdevs: { a: { name: "a", vdev_type: "disk", state: "HEALTHY" } } } }
            }
          },
          special: { b: { name: "b", vdev_type: "disk", state: "HEALTHY", total_space: "444G" } },
          error_count: "0"
        }
      }
    }
    const [pool] = ok(parsePoolStatus(JSON.stringify(doc)))
    expect(pool!.status).toBeUndefined()
    expect(pool!.vdevs.map((v) => [v.name, v.class, v.state, v.sizeBytes])).toEqual([
      ["raidz1-0", "data", "ONLINE", undefined],
      ["b", "special", "ONLINE", 444 * 1024 ** 3]
    ])
  })

  it("names the bad field", () => {
    const doc = JSON.parse(fixture("status-raidz1-degraded.int.json"))
    doc.pools.tank.vdevs.tank.vdevs["raidz1-0"].vdevs.sdc.checksum_errors = { many: true }
    expect(failure(parsePoolStatus(JSON.stringify(doc))).message).toBe(
      "cannot read zpool status -j output: at pools.tank.vdevs.tank.vdevs.raidz1-0.vdevs.sdc.checksum_errors: expected a number or a size like 12.7T, got an object"
    )
    doc.pools.tank.vdevs.tank.vdevs["raidz1-0"].vdevs.sdc.checksum_errors = "lots"
    expect(failure(parsePoolStatus(JSON.stringify(doc))).path).toBe("pools.tank.vdevs.tank.vdevs.raidz1-0.vdevs.sdc.checksum_errors")
    const notJson = failure(parsePoolStatus("zpool: command not found"))
    expect([notJson.path, notJson.reason.startsWith("not JSON")]).toEqual(["", true])
    expect(failure(parsePoolStatus(JSON.stringify({ output_version: { command: "zfs list" }, datasets: {} }))).path).toBe("pools")
  })
})

/** Numbers within zfs's three significant digits, everything else equal. */
const near = (strings: unknown, ints: unknown, path = ""): void => {
  if (typeof ints === "number" && typeof strings === "number") {
    if (ints !== strings) expect(Math.abs(strings - ints) / ints, `${path}: ${strings} vs ${ints}`).toBeLessThan(0.005)
  } else if (typeof ints === "object" && ints !== null && typeof strings === "object" && strings !== null) {
    expect(Object.keys(strings).sort(), path).toEqual(Object.keys(ints).sort())
    for (const key of Object.keys(ints)) near((strings as Record<string, unknown>)[key], (ints as Record<string, unknown>)[key], `${path}.${key}`)
  } else {
    expect(strings, path).toEqual(ints)
  }
}
const withoutTimes = (pools: ReadonlyArray<PoolStatus>) => pools.map((p) => ({ ...p, scan: { ...p.scan, startTime: undefined, endTime: undefined } }))

describe("with and without --json-int", () => {
  for (const base of ["status-mirror-healthy", "status-raidz1-degraded", "status-raidz2-special-scrubbing", "status-resilvering"]) {
    it(`${base}: the same pools; times as zpool's date text`, () => {
      const ints = status(`${base}.int.json`)
      const strings = status(`${base}.json`)
      near(withoutTimes(strings), withoutTimes(ints))
      const raw = Object.values(JSON.parse(fixture(`${base}.int.json`)).pools) as Array<{ scan_stats: { start_time: number } }>
      strings.forEach((pool, i) => expect(pool.scan.startTime).toBe(cDate(raw[i]!.scan_stats.start_time)))
    })
  }

  it("the string form keeps zpool's text: '3.62T', '0', dates, '-'", () => {
    const tank = JSON.parse(fixture("status-mirror-healthy.json")).pools.tank
    const mirror = tank.vdevs.tank.vdevs["mirror-0"]
    expect([mirror.total_space, mirror.read_errors, mirror.guid]).toEqual(["3.62T", "0", "5561874216741211020"])
    expect([tank.scan_stats.start_time, tank.scan_stats.scrub_pause, tank.scan_stats.skipped]).toEqual(["Sun Nov  8 00:24:01 UTC 2026", "-", "8.21M"])
  })

  it("zpool list", () => {
    const strings = ok(parsePoolList(fixture("list.json")))
    const ints = ok(parsePoolList(fixture("list.int.json")))
    expect(ints).toEqual([{
      name: "tank",
      health: "ONLINE",
      sizeBytes: 3980298049536,
      allocatedBytes: 1781208498176,
      freeBytes: 2199089551360,
      capacityPercent: 44,
      fragmentationPercent: 3,
      dedupRatio: 1
    }])
    near(strings, ints)
    expect(strings[0]!.sizeBytes).toBe(Math.round(3.62 * T))
  })

  it("zpool list prints nothing when there are no pools", () => {
    expect(ok(parsePoolList(""))).toEqual([])
    expect(ok(parsePoolList("\n"))).toEqual([])
  })

  it("zfs list: types, mountpoints (legacy and volumes have none), mounted", () => {
    const ints = ok(parseDatasetList(fixture("datasets.int.json")))
    expect(ints.map((d) => [d.name, d.pool, d.type, d.mountpoint, d.mounted])).toEqual([
      ["tank", "tank", "filesystem", "/tank", true],
      ["tank/legacy", "tank", "filesystem", undefined, false],
      ["tank/photos", "tank", "filesystem", "/srv/photos", true],
      ["tank/vm-disk", "tank", "volume", undefined, undefined]
    ])
    expect([ints[2]!.usedBytes, ints[2]!.availableBytes, ints[3]!.referencedBytes]).toEqual([1200000000000, 2120000000000, 53687091200])
    near(ok(parseDatasetList(fixture("datasets.json"))), ints)
  })

  it("zfs get: values as text, sources as zfs get prints them", () => {
    const ints = ok(parseProperties(fixture("get.int.json"), "tank/photos"))
    const strings = ok(parseProperties(fixture("get.json"), "tank/photos"))
    expect(ints.compression).toEqual({ value: "zstd", source: "local" })
    expect(ints.atime).toEqual({ value: "off", source: "inherited from tank" })
    expect(ints["com.sigmavault:note"]).toEqual({ value: "family photos, 2009 to now", source: "inherited from tank" })
    expect([ints.recordsize!.value, strings.recordsize!.value]).toEqual(["1048576", "1M"])
    expect([ints.quota, strings.quota]).toEqual([{ value: "0", source: "default" }, { value: "none", source: "default" }])
    // --json-int turns only all-digit values into numbers: a ratio stays text.
    expect([ints.compressratio!.value, strings.compressratio!.value, ints.used!.source]).toEqual(["1.02", "1.02x", "-"])
    expect(failure(parseProperties(fixture("get.json"), "tank/other")).message).toBe("cannot read zfs get -j output: at datasets: no entry for tank/other")
  })

  it("a synthetic pool of any size reads the same in both forms", () => {
    const arbitrary = fc.tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 12 }), fc.option(fc.integer({ min: 1, max: 9 }), { nil: undefined }))
    fc.assert(fc.property(arbitrary, ([disks, width, faultEvery]) => {
      const ints = ok(parsePoolStatus(syntheticStatusJson(disks, { width, faultEvery })))
      expect(ints[0]!.vdevs.flatMap(leaves).length).toBe(disks)
      expect(ints[0]!.vdevs.every((v) => v.type === "raidz" && v.parity === 2)).toBe(true)
      expect(ints[0]!.state).toBe(faultEvery !== undefined && disks >= faultEvery ? "DEGRADED" : "ONLINE")
      near(withoutTimes(ok(parsePoolStatus(syntheticStatusJson(disks, { width, faultEvery, form: "string" })))), withoutTimes(ints))
    }), { numRuns: 60 })
  })
})

describe("the parsers are total", () => {
  type Parse = (text: string) => Result.Result<unknown, { readonly _tag: string; readonly path: string }>
  const properties: Parse = (text) => parseProperties(text, "tank/photos")
  const cases: ReadonlyArray<readonly [string, Parse]> = [
    ...["status-mirror-healthy", "status-raidz1-degraded", "status-raidz2-special-scrubbing", "status-resilvering"].flatMap((base) => [
      [`${base}.int.json`, parsePoolStatus] as const,
      [`${base}.json`, parsePoolStatus] as const
    ]),
    ["status-flat-vdevs.int.json", parsePoolStatus],
    ["list.json", parsePoolList],
    ["list.int.json", parsePoolList],
    ["datasets.json", parseDatasetList],
    ["datasets.int.json", parseDatasetList],
    ["get.json", properties],
    ["get.int.json", properties]
  ]
  const parsers = [parsePoolStatus, parsePoolList, parseDatasetList, properties]

  it("every truncation of every fixture is a DecodeError (or, whole, a success)", () => {
    for (const [name, parse] of cases) {
      const text = fixture(name)
      for (let cut = 0; cut < text.length; cut++) {
        const result = parse(text.slice(0, cut))
        if (Result.isFailure(result)) expect(result.failure._tag, `${name} cut at ${cut}`).toBe("DecodeError")
        // Only zpool list reads an empty answer (no pools); otherwise only the whole document parses.
        else expect((cut === 0 && parse === parsePoolList) || text.slice(cut).trim() === "", `${name} cut at ${cut} parsed`).toBe(true)
      }
    }
  })

  it("random JSON never throws; what does not fit is a DecodeError", () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      for (const parse of parsers) {
        const result = parse(JSON.stringify(value) ?? "null")
        if (Result.isFailure(result)) expect(result.failure._tag).toBe("DecodeError")
      }
    }), { numRuns: 500 })
  })

  const pathsOf = (value: unknown, at: ReadonlyArray<string> = []): Array<ReadonlyArray<string>> =>
    typeof value === "object" && value !== null
      ? Object.entries(value).flatMap(([k, v]) => [[...at, k], ...pathsOf(v, [...at, k])])
      : []

  it("a fixture with one field dropped or replaced by a wrong value: a DecodeError at (or inside) that field, or a success", () => {
    const wrong = fc.oneof(fc.jsonValue(), fc.constantFrom({}, [], "lots", -1, true, null, "12 T", { value: {} }))
    fc.assert(fc.property(fc.nat(), fc.nat(), wrong, fc.boolean(), (which, where, replacement, drop) => {
      const [name, parse] = cases[which % cases.length]!
      const doc = JSON.parse(fixture(name))
      const candidates = pathsOf(doc).filter((p) => p[0] !== "output_version")
      const path = candidates[where % candidates.length]!
      let target = doc
      for (const key of path.slice(0, -1)) target = target[key]
      if (drop) delete target[path.at(-1)!]
      else target[path.at(-1)!] = replacement
      const result = parse(JSON.stringify(doc))
      if (Result.isFailure(result)) {
        const { _tag, path: bad } = result.failure
        const mutated = path.join(".")
        expect(_tag).toBe("DecodeError")
        expect(bad, `${name}: mutated ${mutated}`).not.toBe("")
        expect(mutated.startsWith(bad) || bad.startsWith(mutated), `${name}: mutated ${mutated}, error at ${bad}`).toBe(true)
      }
    }), { numRuns: 1500 })
  })
})
