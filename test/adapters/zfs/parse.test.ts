import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Result } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { parseDatasetList, parsePoolList, parsePoolStatus, parseProperties, parseSize } from "../../../src/adapters/zfs/parse.ts"
import { syntheticStatusJson } from "../../../src/adapters/zfs/synthetic.ts"

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "../../fixtures/zfs", name), "utf8")
const ok = <A, E>(result: Result.Result<A, E>): A => {
  if (Result.isFailure(result)) throw new Error(`expected success: ${String((result.failure as { message?: string }).message)}`)
  return result.success
}

describe("ZFS sizes", () => {
  it("reads zfs's base-1024 sizes and numbers", () => {
    expect(parseSize("12.7T", "x")).toBe(Math.round(12.7 * 1024 ** 4))
    expect(parseSize("512", "x")).toBe(512)
    expect(parseSize("0B", "x")).toBe(0)
    expect(parseSize("1.5K", "x")).toBe(1536)
    expect(parseSize(4096, "x")).toBe(4096)
    expect(parseSize("-", "x")).toBeUndefined()
    expect(() => parseSize("12 T", "a.b")).toThrow()
  })
})

describe("zpool status -j", () => {
  it("a healthy mirror: tree, classes, finished scrub", () => {
    const [pool] = ok(parsePoolStatus(fixture("status-mirror-healthy.json")))
    expect(pool!.name).toBe("tank")
    expect(pool!.state).toBe("ONLINE")
    expect(pool!.vdevs.map((v) => [v.name, v.type, v.class, v.children.length])).toEqual([["mirror-0", "mirror", "data", 2]])
    expect(pool!.vdevs[0]!.children[0]!.path).toBe("/dev/disk/by-id/ata-WDC_WD40EFRX-68N32N0_WD-WCC7K1ABCDEF-part1")
    expect(pool!.vdevs[0]!.sizeBytes).toBe(Math.round(3.62 * 1024 ** 4))
    expect(pool!.scan).toMatchObject({ function: "scrub", state: "finished", paused: false, errors: 0, percent: 100 })
    expect(pool!.dataErrors).toBe("No known data errors")
  })

  it("a degraded raidz1 in --json-int form: states, counters, parity, status text, time_t times", () => {
    const [pool] = ok(parsePoolStatus(fixture("status-raidz1-degraded.int.json")))
    expect(pool!.state).toBe("DEGRADED")
    expect(pool!.status).toMatch(/faulted in response to persistent errors/)
    expect(pool!.action).toMatch(/Replace the faulted device/)
    const raidz = pool!.vdevs[0]!
    expect([raidz.type, raidz.parity, raidz.state]).toEqual(["raidz", 1, "DEGRADED"])
    expect(raidz.children.map((d) => [d.name, d.state, d.readErrors, d.checksumErrors])).toEqual([
      ["sda", "ONLINE", 0, 0],
      ["sdb", "FAULTED", 3, 0],
      ["sdc", "ONLINE", 0, 14],
      ["sdd", "ONLINE", 0, 0]
    ])
    expect(pool!.scan.startTime).toBe(new Date(1794538800 * 1000).toISOString())
    expect(pool!.scan.processedBytes).toBe(1048576)
  })

  it("special, log, cache and spare vdevs; a scrub in progress and a paused one", () => {
    const [vault, backup] = ok(parsePoolStatus(fixture("status-raidz2-special-scrubbing.json")))
    expect(vault!.vdevs.map((v) => [v.name, v.class])).toEqual([
      ["raidz2-0", "data"],
      ["mirror-1", "special"],
      ["mirror-2", "log"],
      ["sdg", "cache"],
      ["sdh", "spare"]
    ])
    expect(vault!.vdevs[0]!.parity).toBe(2)
    expect(vault!.scan.state).toBe("scanning")
    expect(vault!.scan.paused).toBe(false)
    expect(vault!.scan.percent).toBeCloseTo(30, 1)
    expect(backup!.scan.paused).toBe(true)
    expect(backup!.scan.percent).toBe(25)
  })

  it("a resilver through a replacing vdev", () => {
    const [pool] = ok(parsePoolStatus(fixture("status-resilvering.json")))
    expect(pool!.scan).toMatchObject({ function: "resilver", state: "scanning" })
    const replacing = pool!.vdevs[0]!.children[1]!
    expect([replacing.type, replacing.children.map((c) => c.state)]).toEqual(["replacing", ["UNAVAIL", "ONLINE"]])
  })

  it("strings and --json-int give the same numbers", () => {
    const text = fixture("status-raidz1-degraded.int.json")
    const stringly = JSON.stringify(JSON.parse(text), (key, value) =>
      typeof value === "number" && key !== "vers_major" && key !== "vers_minor" && !/time/.test(key) ? String(value) : value)
    expect(ok(parsePoolStatus(stringly))[0]!.vdevs).toEqual(ok(parsePoolStatus(text))[0]!.vdevs)
  })

  it("a 100-disk synthetic pool", () => {
    const [pool] = ok(parsePoolStatus(syntheticStatusJson(100)))
    expect(pool!.vdevs.length).toBe(10)
    expect(pool!.vdevs.flatMap((v) => v.children).length).toBe(100)
  })

  it("names the bad field", () => {
    const doc = JSON.parse(fixture("status-raidz1-degraded.int.json"))
    doc.pools.tank.vdevs.tank.vdevs["raidz1-0"].vdevs.sdc.checksum_errors = { many: true }
    const result = parsePoolStatus(JSON.stringify(doc))
    expect(Result.isFailure(result) && result.failure.message).toBe(
      "cannot read zpool status -j output: at pools.tank.vdevs.tank.vdevs.raidz1-0.vdevs.sdc.checksum_errors: expected a number, got an object"
    )
    const garbage = parsePoolStatus("zpool: command not found")
    expect(Result.isFailure(garbage) && garbage.failure.path).toBe("")
  })
})

describe("zpool list, zfs list, zfs get", () => {
  it("zpool list in both forms", () => {
    const strings = ok(parsePoolList(fixture("list.json")))[0]!
    const ints = ok(parsePoolList(fixture("list.int.json")))[0]!
    expect(strings).toMatchObject({ name: "tank", health: "ONLINE", capacityPercent: 44, fragmentationPercent: 3, dedupRatio: 1 })
    expect(ints).toMatchObject({ name: "tank", health: "ONLINE", sizeBytes: 3980298049536, allocatedBytes: 1781208498176, capacityPercent: 44 })
    expect(Math.abs(strings.sizeBytes - ints.sizeBytes) / ints.sizeBytes).toBeLessThan(0.01)
  })

  it("zfs list: types, mountpoints (legacy and volumes have none), mounted", () => {
    const datasets = ok(parseDatasetList(fixture("datasets.int.json")))
    expect(datasets.map((d) => [d.name, d.type, d.mountpoint, d.mounted])).toEqual([
      ["tank", "filesystem", "/tank", true],
      ["tank/photos", "filesystem", "/srv/photos", true],
      ["tank/legacy", "filesystem", undefined, false],
      ["tank/vm-disk", "volume", undefined, undefined]
    ])
    expect(datasets[1]!.usedBytes).toBe(1200000000000)
  })

  it("zfs get: values and their sources", () => {
    const props = ok(parseProperties(fixture("get.json"), "tank/photos"))
    expect(props.compression).toEqual({ value: "zstd", source: "local" })
    expect(props.atime).toEqual({ value: "off", source: "inherited tank" })
    expect(props["com.sigmavault:backup"]!.value).toBe("daily")
  })
})

describe("decoders never throw", () => {
  const all = [
    "status-mirror-healthy.json",
    "status-raidz1-degraded.int.json",
    "status-raidz2-special-scrubbing.json",
    "status-resilvering.json",
    "list.json",
    "datasets.int.json",
    "get.json"
  ].map(fixture)
  const parsers: ReadonlyArray<(text: string) => Result.Result<unknown, { readonly _tag: string; readonly message: string }>> = [
    parsePoolStatus,
    parsePoolList,
    parseDatasetList,
    (t: string) => parseProperties(t, "tank/photos")
  ]

  it("on every truncation of every fixture", () => {
    for (const text of all) {
      for (let cut = 0; cut < text.length; cut += 7) {
        for (const parse of parsers) expect(() => parse(text.slice(0, cut))).not.toThrow()
      }
    }
  })

  it("on random JSON and on fixtures with a field replaced by a random value", () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      for (const parse of parsers) {
        const result = parse(JSON.stringify(value) ?? "null")
        if (Result.isFailure(result)) expect(result.failure._tag).toBe("DecodeError")
      }
    }))
    const paths = (value: unknown, at: ReadonlyArray<string> = []): Array<ReadonlyArray<string>> =>
      typeof value === "object" && value !== null
        ? Object.entries(value).flatMap(([k, v]) => [[...at, k], ...paths(v, [...at, k])])
        : []
    fc.assert(fc.property(fc.nat(), fc.nat(), fc.jsonValue(), (which, where, replacement) => {
      const doc = JSON.parse(all[which % all.length]!)
      const candidates = paths(doc)
      const path = candidates[where % candidates.length]!
      let target = doc
      for (const key of path.slice(0, -1)) target = target[key]
      target[path.at(-1)!] = replacement
      for (const parse of parsers) {
        const result = parse(JSON.stringify(doc))
        if (Result.isFailure(result)) {
          expect(result.failure._tag).toBe("DecodeError")
          expect(result.failure.message.length).toBeGreaterThan(10)
        }
      }
    }), { numRuns: 300 })
  })
})
