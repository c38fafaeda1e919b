import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { parseLsblk } from "../../../src/adapters/disks/parse.ts"
import type { PoolStatus, Vdev } from "../../../src/adapters/zfs/Zfs.ts"
import { parseDatasetList, parsePoolStatus } from "../../../src/adapters/zfs/parse.ts"
import { buildTopology, impact } from "../../../src/actors/vertex/topology.ts"

const fixture = (dir: string, name: string) => readFileSync(join(import.meta.dirname, "../../fixtures", dir, name), "utf8")
const devices = Result.getOrThrow(parseLsblk(fixture("lsblk", "nas-4hdd-nvme-usb.json")))
const datasets = Result.getOrThrow(parseDatasetList(fixture("zfs", "datasets.int.json")))
const status = (name: string) => Result.getOrThrow(parsePoolStatus(fixture("zfs", name)))

const leaf = (name: string, state = "ONLINE"): Vdev => ({ name, type: "disk", state, path: `/dev/${name}1`, readErrors: 0, writeErrors: 0, checksumErrors: 0, children: [] })
const pool = (vdevs: PoolStatus["vdevs"]): PoolStatus => ({
  name: "tank",
  state: "ONLINE",
  dataErrors: "No known data errors",
  vdevs,
  scan: { function: "none", state: "none", paused: false, errors: 0 }
})
const group = (name: string, type: string, children: ReadonlyArray<Vdev>, parity?: number) =>
  ({ name, type, parity, state: "ONLINE", readErrors: 0, writeErrors: 0, checksumErrors: 0, children, class: "data" as const })
const outcome = (pools: ReadonlyArray<PoolStatus>, disk: string) => impact(buildTopology({ devices, pools, datasets }), disk).pools.map((p) => p.outcome)

describe("VERTEX topology", () => {
  it("builds disk → partition → vdev → pool → dataset → mountpoint, resolving by-id names by serial", () => {
    const topology = buildTopology({ devices, pools: status("status-mirror-healthy.json"), datasets })
    expect(topology.unresolved).toEqual([])
    const edges = new Set(topology.edges.map((e) => `${e.from} -> ${e.to}`))
    expect(edges).toContain("part:/dev/sda1 -> disk:/dev/sda")
    expect(edges).toContain("pool:tank -> vdev:tank/mirror-0")
    expect(edges).toContain("vdev:tank/mirror-0/ata-WDC_WD40EFRX-68N32N0_WD-WCC7K1ABCDEF -> part:/dev/sda1")
    expect(edges).toContain("vdev:tank/mirror-0/ata-WDC_WD40EFRX-68N32N0_WD-WCC7K2GHIJKL -> part:/dev/sdb1")
    expect(edges).toContain("dataset:tank/photos -> dataset:tank")
    expect(edges).toContain("mount:/srv/photos -> dataset:tank/photos")
    expect(edges).toContain("mount:/ -> part:/dev/nvme0n1p2")
  })

  it("keeps leaves it cannot match and says so", () => {
    const topology = buildTopology({ devices, pools: [pool([group("mirror-0", "mirror", [leaf("sda"), { ...leaf("gone"), path: "/dev/disk/by-id/ata-OTHER_SERIAL9-part1" }])])], datasets: [] })
    expect(topology.unresolved).toEqual(["tank: /dev/disk/by-id/ata-OTHER_SERIAL9-part1"])
  })
})

describe("VERTEX impact", () => {
  it("a mirror degrades on one disk and faults when the other is already gone", () => {
    expect(outcome(status("status-mirror-healthy.json"), "sda")).toEqual(["degraded"])
    expect(outcome([pool([group("mirror-0", "mirror", [leaf("sda"), leaf("sdb", "FAULTED")])])], "/dev/sda")).toEqual(["faulted"])
  })

  it("raidz1: one disk degrades; the pool that already lost sdb faults on a second", () => {
    expect(outcome([pool([group("raidz1-0", "raidz", ["sda", "sdb", "sdc", "sdd"].map((n) => leaf(n)), 1)])], "sda")).toEqual(["degraded"])
    const degraded = status("status-raidz1-degraded.int.json")
    const result = impact(buildTopology({ devices, pools: degraded, datasets }), "sdc")
    expect(result.pools[0]!.outcome).toBe("faulted")
    expect(result.pools[0]!.because).toMatch(/raidz1-0 loses 2 of 4 and tolerates 1: sdb is already FAULTED; sdc would die/)
    expect(result.text).toBe("if /dev/sdc dies: pool tank is FAULTED (its data is unavailable), affecting tank, tank/legacy, tank/photos, tank/vm-disk")
    expect(result.pools[0]!.datasets).toContainEqual({ name: "tank/photos", mountpoint: "/srv/photos" })
  })

  it("raidz2 survives two failures, not three", () => {
    const disks = ["sda", "sdb", "sdc", "sdd"]
    expect(outcome([pool([group("raidz2-0", "raidz", disks.map((n) => leaf(n)), 2)])], "sda")).toEqual(["degraded"])
    expect(outcome([pool([group("raidz2-0", "raidz", disks.map((n, i) => leaf(n, i === 1 ? "FAULTED" : "ONLINE")), 2)])], "sda")).toEqual(["degraded"])
    expect(outcome([pool([group("raidz2-0", "raidz", disks.map((n, i) => leaf(n, i === 1 || i === 2 ? "UNAVAIL" : "ONLINE")), 2)])], "sda")).toEqual(["faulted"])
  })

  it("a striped pool faults on any disk; striped mirrors only degrade", () => {
    expect(outcome([pool([{ ...leaf("sda"), class: "data" }, { ...leaf("sdb"), class: "data" }])], "sdb")).toEqual(["faulted"])
    expect(outcome([pool([group("mirror-0", "mirror", [leaf("sda"), leaf("sdb")]), group("mirror-1", "mirror", [leaf("sdc"), leaf("sdd")])])], "sdc")).toEqual(["degraded"])
  })

  it("cache, spare and log devices: losing them is not losing the pool", () => {
    const withExtras = pool([
      group("mirror-0", "mirror", [leaf("sda"), leaf("sdb")]),
      { ...leaf("sdc"), class: "cache" },
      { ...leaf("sdd"), class: "spare" },
      { ...group("mirror-1", "mirror", [leaf("nvme0n1p")]), class: "log" }
    ])
    const cache = impact(buildTopology({ devices, pools: [withExtras], datasets: [] }), "sdc")
    expect(cache.pools[0]!.outcome).toBe("unaffected")
    expect(cache.pools[0]!.because).toMatch(/cache sdc would be lost: reads get slower/)
    expect(impact(buildTopology({ devices, pools: [withExtras], datasets: [] }), "sdd").pools[0]!.because).toMatch(/spare sdd would be lost/)
  })

  it("a disk in no pool loses only its own mounts; an unknown disk says so", () => {
    const usb = impact(buildTopology({ devices, pools: status("status-mirror-healthy.json"), datasets }), "sde")
    expect([usb.found, usb.pools.map((p) => p.outcome), usb.partitions, usb.mountpoints]).toEqual([true, ["unaffected"], ["/dev/sde1"], ["/media/usb"]])
    expect(usb.text).toBe("if /dev/sde dies, no pool is affected; lost: /media/usb")
    const unknown = impact(buildTopology({ devices, pools: [], datasets: [] }), "sdz")
    expect([unknown.found, unknown.text]).toEqual([false, "sdz is not a disk lsblk knows, and no pool has a device by that name"])
  })
})
