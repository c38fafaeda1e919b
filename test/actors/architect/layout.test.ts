import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { parseLsblk } from "../../../src/adapters/disks/parse.ts"
import { type DiskInfo, diskInfoOf, recommend, validate } from "../../../src/actors/architect/layout.ts"

const TB4 = 4_000_787_030_016
const hdds = (n: number, size = TB4): Array<DiskInfo> => Array.from({ length: n }, (_, i) => ({ path: `/dev/sd${String.fromCharCode(97 + i)}`, sizeBytes: size, kind: "hdd" }))
const top = (disks: ReadonlyArray<DiskInfo>, goal: "capacity" | "balanced" | "redundancy" = "balanced") => recommend(disks, goal).candidates[0]!
const SLOP = 31 / 32

describe("ARCHITECT recommendations", () => {
  it("1 disk: a single disk, with a loud warning", () => {
    const best = top(hdds(1))
    expect([best.name, best.faultTolerance, best.command]).toEqual(["single disk", 0, ["zpool", "create", "-o", "ashift=12", "tank", "/dev/sda"]])
    expect(best.warnings).toEqual(["no redundancy: if this disk fails, every file on the pool is lost"])
  })

  it("2 disks: a mirror", () => {
    const best = top(hdds(2))
    expect([best.name, best.faultTolerance, best.usableBytes]).toEqual(["mirror", 1, Math.floor(TB4 * SLOP)])
    expect(best.display).toBe("zpool create -o ashift=12 tank mirror /dev/sda /dev/sdb")
  })

  it("3 disks: a 3-way mirror for balance, raidz1 for capacity", () => {
    expect(top(hdds(3)).name).toBe("3-way mirror")
    const capacity = top(hdds(3), "capacity")
    expect([capacity.name, capacity.usableBytes]).toEqual(["raidz1 of 3", Math.floor(2 * TB4 * SLOP)])
    expect(capacity.warnings[0]).toMatch(/^raidz1 with 4\.0 TB disks: during the ~10 h resilver there is no redundancy left, so a second failure loses the pool and an unreadable sector loses the files it holds/)
  })

  it("4, 6 and 8 disks: raidz2; striped mirrors among the candidates", () => {
    for (const n of [4, 6, 8]) {
      const rec = recommend(hdds(n))
      expect(rec.candidates[0]!.name).toBe(`raidz2 of ${n}`)
      expect(rec.candidates[0]!.usableBytes).toBe(Math.floor((n - 2) * TB4 * SLOP))
      expect(rec.candidates[0]!.faultTolerance).toBe(2)
      expect(rec.candidates.map((c) => c.name)).toContain(`${n / 2} striped mirrors`)
      expect(rec.candidates.at(-1)!.faultTolerance).toBe(0)
    }
    expect(top(hdds(4), "redundancy").faultTolerance).toBeGreaterThanOrEqual(2)
  })

  it("12 disks: two raidz2 vdevs of 6", () => {
    const best = top(hdds(12))
    expect(best.name).toBe("2 × raidz2 of 6")
    expect(best.vdevs.map((v) => v.disks.length)).toEqual([6, 6])
    expect(best.usableBytes).toBe(Math.floor(8 * TB4 * SLOP))
    expect(best.command.slice(0, 7)).toEqual(["zpool", "create", "-o", "ashift=12", "tank", "raidz2", "/dev/sda"])
  })

  it("mixed kinds and sizes: like with like, the rest left out with the reason", () => {
    const disks: Array<DiskInfo> = [...hdds(4), { path: "/dev/nvme0n1", sizeBytes: 500e9, kind: "nvme" }, { path: "/dev/sdx", sizeBytes: 8e12, kind: "hdd" }]
    const rec = recommend(disks)
    expect(rec.candidates[0]!.vdevs.flatMap((v) => v.disks)).toEqual(["/dev/sda", "/dev/sdb", "/dev/sdc", "/dev/sdd"])
    expect(rec.leftOut.map((l) => l.disk).sort()).toEqual(["/dev/nvme0n1", "/dev/sdx"])
    expect(rec.leftOut.find((l) => l.disk === "/dev/sdx")!.reason).toMatch(/size \(8\.0 TB\) differs from the others' \(4\.0 TB\)/)
    expect(rec.leftOut.find((l) => l.disk === "/dev/nvme0n1")!.reason).toMatch(/NVME and the others are hdds/)
    expect(rec.warnings).toEqual(["2 disks were left out to keep like with like; see leftOut"])
  })

  it("keeps whole, fixed disks from lsblk", () => {
    const devices = Result.getOrThrow(parseLsblk(readFileSync(join(import.meta.dirname, "../../fixtures/lsblk/nas-4hdd-nvme-usb.json"), "utf8")))
    expect(devices.map(diskInfoOf).filter((d) => d !== undefined).map((d) => [d.path, d.kind])).toEqual([
      ["/dev/sda", "hdd"], ["/dev/sdb", "hdd"], ["/dev/sdc", "hdd"], ["/dev/sdd", "hdd"], ["/dev/nvme0n1", "nvme"]
    ])
  })
})

describe("ARCHITECT validation", () => {
  const disks: Array<DiskInfo> = [...hdds(6), { path: "/dev/sdx", sizeBytes: 8e12, kind: "hdd" }, { path: "/dev/nvme0n1", sizeBytes: 500e9, kind: "nvme" }]
  const problems = (vdevs: Parameters<typeof validate>[1]) => validate("tank", vdevs, disks).problems.map((p) => `${p.severity}: ${p.text}`)

  it("a good layout is ok, with its capacity and command", () => {
    const result = validate("tank", [{ kind: "raidz2", disks: ["sda", "sdb", "sdc", "sdd", "sde", "sdf"] }], disks)
    expect([result.ok, result.problems, result.faultTolerance, result.usableBytes]).toEqual([true, [], 2, Math.floor(4 * TB4 * SLOP)])
    expect(result.display).toBe("zpool create -o ashift=12 tank raidz2 sda sdb sdc sdd sde sdf")
  })

  it("explains each fault", () => {
    expect(problems([{ kind: "mirror", disks: ["sda"] }])).toEqual(["error: vdev 1 (mirror): a mirror needs at least 2 disks"])
    expect(problems([{ kind: "raidz2", disks: ["sda", "sdb"] }])).toEqual(["error: vdev 1 (raidz2): raidz2 needs more than 2 disks; with 2 it has no room for data"])
    expect(problems([{ kind: "raidz1", disks: ["sda", "sdb"] }])).toEqual(["warning: vdev 1 (raidz1): raidz1 of 2 stores what a 2-way mirror stores, and rebuilds slower: use a mirror"])
    expect(problems([{ kind: "mirror", disks: ["sda", "sdq"] }])).toEqual(["error: vdev 1 (mirror): sdq is not a disk in the inventory"])
    expect(problems([{ kind: "mirror", disks: ["sda", "sdb"] }, { kind: "mirror", disks: ["sdb", "sdc"] }])).toEqual(["error: vdev 2 (mirror): /dev/sdb is already used in vdev 1"])
    expect(problems([{ kind: "mirror", disks: ["sda", "nvme0n1"] }])).toContain("warning: vdev 1 (mirror): mixes hdd and nvme disks: it runs at the slowest one's speed")
    expect(problems([{ kind: "mirror", disks: ["sda", "sdx"] }])).toEqual(["warning: vdev 1 (mirror): disk sizes differ (4.0 TB to 8.0 TB); every disk counts as 4.0 TB, wasting 4.0 TB"])
    expect(problems([{ kind: "raidz2", disks: ["sda", "sdb", "sdc", "sdd"] }, { kind: "stripe", disks: ["sde"] }])).toEqual([
      "warning: vdev 2 (stripe): a disk without redundancy next to redundant vdevs makes the whole pool only as safe as that disk"
    ])
    expect(problems([{ kind: "raidz2", disks: ["sda", "sdb", "sdc", "sdd"] }, { kind: "mirror", disks: ["sde", "sdf"] }])).toEqual([
      "warning: the vdevs have different redundancy (raidz2, mirror): the pool is only as safe as the weakest"
    ])
    expect(validate("tank", [{ kind: "mirror", disks: ["sda"] }], disks).ok).toBe(false)
  })
})
