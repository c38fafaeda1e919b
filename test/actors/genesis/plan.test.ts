/**
 * GENESIS's pure parts: which disks are free (lsblk minus ZFS leaves through
 * by-id links, partitions, mounts, the root disk), their health from ORACLE's
 * answer, and the setup plan built from ARCHITECT's layout — for every
 * inventory of 1 to 12 disks and every goal, each task's message must be
 * accepted by its agent's real protocol, with confirm and as a dry run.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Result, Schema } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { BlockDevice } from "../../../src/adapters/disks/Disks.ts"
import { parseLsblk } from "../../../src/adapters/disks/parse.ts"
import { parsePoolStatus } from "../../../src/adapters/zfs/parse.ts"
import type { PoolStatus } from "../../../src/adapters/zfs/Zfs.ts"
import { diskInfoOf, recommend } from "../../../src/actors/architect/layout.ts"
import { defaultGenesisConfig } from "../../../src/actors/genesis/config.ts"
import { type Assessed, byIdOf, failing, freeDisk, healthOf, unpooled } from "../../../src/actors/genesis/discover.ts"
import type { Discovery } from "../../../src/actors/genesis/messages.ts"
import { buildSetupPlan, poolProperties } from "../../../src/actors/genesis/plan.ts"
import { PROTOCOLS } from "../../../src/actors/protocols.ts"
import { Plan } from "../../../src/actors/shared/plan.ts"
import * as Protocol from "../../../src/runtime/Protocol.ts"
import { blankDisk, byIdName, linksFor, partition, rootDisk, serialOf } from "../../support/genesisInventory.ts"

const fixture = (dir: string, name: string) => readFileSync(join(import.meta.dirname, "../../fixtures", dir, name), "utf8")
const nas = Result.getOrThrow(parseLsblk(fixture("lsblk", "nas-4hdd-nvme-usb.json")))
const status = (name: string) => [...Result.getOrThrow(parsePoolStatus(fixture("zfs", name)))]

const allOk: Assessed = { disks: [], unreadable: [] }
const discoveryOf = (devices: ReadonlyArray<BlockDevice>, pools: ReadonlyArray<PoolStatus> = [], assessed: Assessed | string = allOk): Discovery => {
  const found = unpooled(devices, pools, linksFor(devices))
  const disks = found.free.map((entry) => freeDisk(entry, healthOf(assessed, entry.device)))
  return {
    disks: disks.filter((d) => !failing(d.health)),
    refused: disks.filter((d) => failing(d.health)).map((d) => ({ ...d, reason: `failing (${d.health.level})` })),
    used: found.used,
    notes: []
  }
}

const planFor = (devices: ReadonlyArray<BlockDevice>, goal: "capacity" | "balanced" | "redundancy" = "balanced") => {
  const discovery = discoveryOf(devices)
  const infos = discovery.disks.map((d) => diskInfoOf(devices.find((x) => x.path === d.device)!)!)
  return buildSetupPlan({ goal, discovery, recommendation: recommend(infos, goal, { pool: "tank" }), config: defaultGenesisConfig })!
}

/** The protocol's own check, as the runtime applies it to any message crossing a boundary. */
const accepted = (agent: string, message: unknown) => {
  const checked = Protocol.checkRequest(PROTOCOLS.get(agent)!, message)
  return Result.isSuccess(checked) ? "ok" : checked.failure
}

describe("GENESIS discovery", () => {
  it("the NAS fixture: by-id leaves of an imported mirror, an unimported member, the root disk, a USB disk", () => {
    const found = unpooled(nas, status("status-mirror-healthy.int.json"), linksFor(nas))
    expect(found.free).toEqual([])
    expect(found.used).toEqual([
      { device: "/dev/sda", reason: "in pool tank (as /dev/disk/by-id/ata-WDC_WD40EFRX-68N32N0_WD-WCC7K1ABCDEF-part1)" },
      { device: "/dev/sdb", reason: "in pool tank (as /dev/disk/by-id/ata-WDC_WD40EFRX-68N32N0_WD-WCC7K2GHIJKL-part1)" },
      { device: "/dev/sdc", reason: "holds a member of ZFS pool tank that is not imported: import it, or clear it (zpool labelclear) if it is old" },
      { device: "/dev/sdd", reason: "holds a member of ZFS pool tank that is not imported: import it, or clear it (zpool labelclear) if it is old" },
      { device: "/dev/nvme0n1", reason: "holds the root filesystem (/dev/nvme0n1p2 is mounted at /)" },
      { device: "/dev/sde", reason: "a removable (hot-plug) disk: not offered for a pool" }
    ])
    expect(found.unresolved).toEqual([])
  })

  it("kernel-name leaves on partitions mark their disks, and the link names resolve even when udev is absent (serial in the name)", () => {
    expect(unpooled(nas, status("status-raidz1-degraded.int.json"), []).used.slice(0, 4).map((u) => u.reason)).toEqual(
      ["sda1", "sdb1", "sdc1", "sdd1"].map((p) => `in pool tank (as /dev/${p})`)
    )
    // No links at all: the serial embedded in the by-id name still finds the disk.
    expect(unpooled(nas, status("status-mirror-healthy.int.json"), []).used.slice(0, 2).map((u) => u.device)).toEqual(["/dev/sda", "/dev/sdb"])
  })

  it("a by-id alias whose name says nothing of the disk resolves through the link; a pooled partition marks its disk", () => {
    const disks = [rootDisk(), blankDisk(0), blankDisk(1), blankDisk(2, { children: [] })]
    const withParts = [...disks.slice(0, 3), { ...disks[3]!, children: [partition(disks[3]!, 1), partition(disks[3]!, 2)] }]
    const links = [...linksFor(withParts), { link: "/dev/disk/by-id/my-alias", target: "../../sdb" }]
    const pool: PoolStatus = {
      name: "old", state: "ONLINE", vdevs: [
        { name: "mirror-0", type: "mirror", state: "ONLINE", readErrors: 0, writeErrors: 0, checksumErrors: 0, class: "data", children: [
          { name: "my-alias", type: "disk", state: "ONLINE", path: "/dev/disk/by-id/my-alias", readErrors: 0, writeErrors: 0, checksumErrors: 0, children: [] },
          { name: "sdc2", type: "disk", state: "ONLINE", path: "/dev/sdc2", readErrors: 0, writeErrors: 0, checksumErrors: 0, children: [] },
          { name: "gone", type: "disk", state: "UNAVAIL", path: "/dev/disk/by-id/ata-GONE_123", readErrors: 0, writeErrors: 0, checksumErrors: 0, children: [] }
        ] }
      ]
    } as unknown as PoolStatus
    const found = unpooled(withParts, [pool], links)
    expect(found.free.map((f) => [f.device.path, f.byId])).toEqual([["/dev/sda", `/dev/disk/by-id/${byIdName(0)}`]])
    expect(found.used).toEqual([
      { device: "/dev/vda", reason: "holds the root filesystem (/dev/vda1 is mounted at /)" },
      { device: "/dev/sdb", reason: "in pool old (as /dev/disk/by-id/my-alias)" },
      { device: "/dev/sdc", reason: "in pool old (as /dev/sdc2)" }
    ])
    expect(found.unresolved).toEqual(["old: /dev/disk/by-id/ata-GONE_123"])
  })

  it("partitioned, formatted, swap and LVM disks are left alone, each with its reason", () => {
    const d = (i: number) => blankDisk(i)
    const devices = [
      { ...d(0), children: [partition(d(0), 1)] },
      { ...d(1), children: [partition(d(1), 1, { fstype: "ext4" })] },
      { ...d(2), children: [partition(d(2), 1, { mountpoints: ["[SWAP]"], fstype: "swap" })] },
      { ...d(3), children: [partition(d(3), 1, { fstype: "LVM2_member", children: [{ ...partition(d(3), 9), name: "vg-data", type: "lvm" }] })] },
      d(4)
    ]
    expect(unpooled(devices, [], []).used.map((u) => `${u.device}: ${u.reason}`)).toEqual([
      "/dev/sda: has partitions (sda1): GENESIS never wipes a disk",
      "/dev/sdb: /dev/sdb1 holds a ext4 filesystem (GENESIS never wipes a disk)",
      "/dev/sdc: /dev/sdc1 is in use as swap",
      "/dev/sdd: is part of lvm vg-data"
    ])
  })

  it("property: whatever form zpool names a leaf in (kernel name, /dev path, partition, by-id link or its partition), exactly the blank disks outside the pools are free", () => {
    const leafForms = ["name", "path", "partition", "byId", "byIdPart", "wwnPart"] as const
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 12 }).chain((n) =>
        fc.tuple(
          fc.constant(n),
          // Each disk: free, in pool "p0" or "p1", or busy with a filesystem; and how its leaf is named.
          fc.array(fc.tuple(fc.constantFrom("free", "p0", "p1", "formatted"), fc.constantFrom(...leafForms)), { minLength: n, maxLength: n }),
          fc.boolean()
        )
      ),
      ([n, roles, udev]) => {
        const devices = Array.from({ length: n }, (_, i) => {
          const disk = blankDisk(i)
          const [role] = roles[i]!
          if (role === "free") return disk
          const fstype = role === "formatted" ? "ext4" : "zfs_member"
          return { ...disk, children: [partition(disk, 1, { fstype, ...(role === "formatted" ? {} : { label: role }) }), partition(disk, 9)] }
        })
        const leaf = (i: number, form: (typeof leafForms)[number]) => {
          const d = devices[i]!
          switch (form) {
            case "name": return { name: d.name, path: undefined }
            case "path": return { name: d.name, path: d.path }
            case "partition": return { name: `${d.name}1`, path: `${d.path}1` }
            case "byId": return { name: byIdName(i), path: `/dev/disk/by-id/${byIdName(i)}` }
            case "byIdPart": return { name: byIdName(i), path: `/dev/disk/by-id/${byIdName(i)}-part1` }
            case "wwnPart": return { name: `wwn-${d.wwn}`, path: `/dev/disk/by-id/wwn-${d.wwn}-part1` }
          }
        }
        const pools = ["p0", "p1"].flatMap((name): Array<PoolStatus> => {
          const members = roles.flatMap(([role, form], i) => (role === name ? [leaf(i, form)] : []))
          if (members.length === 0) return []
          return [{
            name, state: "ONLINE", dataErrors: "No known data errors", vdevs: [{
              name: "mirror-0", type: "mirror", state: "ONLINE", readErrors: 0, writeErrors: 0, checksumErrors: 0, class: "data",
              children: members.map((m) => ({ ...m, type: "disk", state: "ONLINE", readErrors: 0, writeErrors: 0, checksumErrors: 0, children: [] }))
            }]
          } as unknown as PoolStatus]
        })
        const found = unpooled(devices, pools, udev ? linksFor(devices) : [])
        expect(found.free.map((f) => f.device.name)).toEqual(devices.filter((_, i) => roles[i]![0] === "free").map((d) => d.name))
        expect(found.unresolved).toEqual([])
        for (const [i, [role]] of roles.entries()) {
          if (role === "p0" || role === "p1") expect(found.used.find((u) => u.device === devices[i]!.path)?.reason).toMatch(new RegExp(`^in pool ${role} `))
        }
        if (udev) for (const f of found.free) expect(f.byId).toBe(`/dev/disk/by-id/${byIdName(devices.indexOf(f.device))}`)
      }
    ), { numRuns: 300 })
  })

  it("prefers the readable by-id name (model and serial) over the WWN, and never a partition's", () => {
    const links = linksFor([{ ...blankDisk(0), children: [partition(blankDisk(0), 1)] }])
    expect(byIdOf(links, "sda")).toBe(`/dev/disk/by-id/${byIdName(0)}`)
    expect(byIdOf(links.filter((l) => !l.link.includes("ata-")), "sda")).toBe("/dev/disk/by-id/wwn-0x50014ee2b000ffee")
    expect(byIdOf([], "sda")).toBeUndefined()
  })

  it("health: matched by serial, then device (an NVMe controller to its namespace); unknown says why; warn and critical are failing", () => {
    const assessed: Assessed = {
      disks: [
        { device: "/dev/sdx", serial: serialOf(0), level: "critical", evidence: [{ text: "the drive's own SMART health check says FAILED" }] },
        { device: "/dev/sdb", level: "ok", evidence: [] },
        { device: "/dev/nvme0", level: "watch", evidence: [{ text: "wear 91%" }] }
      ],
      unreadable: [{ device: "/dev/sdc", reason: "open failed" }]
    }
    const sda = healthOf(assessed, blankDisk(0))
    expect(sda).toEqual({ level: "critical", detail: "the drive's own SMART health check says FAILED" })
    expect(failing(sda)).toBe(true)
    expect(healthOf(assessed, blankDisk(1, { serial: undefined }))).toEqual({ level: "ok", detail: "SMART shows nothing of concern" })
    expect(healthOf(assessed, blankDisk(2, { serial: undefined }))).toEqual({ level: "unknown", detail: "smartctl could not read it: open failed" })
    expect(healthOf(assessed, { ...blankDisk(3, { serial: undefined }), name: "nvme0n1", path: "/dev/nvme0n1" }).level).toBe("watch")
    expect(healthOf("smartctl is not installed", blankDisk(4)).detail).toBe("ORACLE could not assess disks: smartctl is not installed")
    expect(failing({ level: "warn", detail: "" })).toBe(true)
    expect(failing({ level: "watch", detail: "" })).toBe(false)
  })
})

describe("GENESIS setup plan", () => {
  const goals = ["capacity", "balanced", "redundancy"] as const

  it("for 1 to 12 disks and every goal: one valid APEX plan whose every task its agent's real protocol accepts, with confirm and as a dry run", () => {
    for (let n = 1; n <= 12; n++) {
      for (const goal of goals) {
        const devices = [rootDisk(), ...Array.from({ length: n }, (_, i) => blankDisk(i))]
        const setup = planFor(devices, goal)
        const what = `${n} disks, ${goal}`
        expect(Result.isSuccess(Schema.decodeUnknownResult(Plan)(setup.plan)), what).toBe(true)
        const ids = setup.plan.tasks.map((t) => t.id)
        expect(new Set(ids).size, what).toBe(ids.length)
        setup.plan.tasks.forEach((task, i) => {
          // Dependencies point backwards: no cycle, nothing unknown.
          for (const before of task.after ?? []) expect(ids.indexOf(before), `${what}: ${task.id} after ${before}`).toBeLessThan(i)
          expect(accepted(task.agent, task.message), `${what}: ${task.id}`).toBe("ok")
          const { confirm: _, ...dryRun } = task.message as Record<string, unknown>
          expect(accepted(task.agent, dryRun), `${what}: ${task.id} dry run`).toBe("ok")
        })
        // Every disk goes in by its by-id name, exactly once.
        expect([...setup.layout.disks, ...setup.layout.spares].sort(), what).toEqual(Array.from({ length: n }, (_, i) => `/dev/disk/by-id/${byIdName(i)}`).sort())
        expect(setup.summary.length, what).toBe(setup.plan.tasks.length)
        if (n === 1) expect(setup.warnings.join("\n"), what).toMatch(/only one unpooled disk: too few for redundancy/)
        else if (goal !== "capacity") expect(setup.layout.faultTolerance, what).toBeGreaterThanOrEqual(1)
      }
    }
  })

  it("the defaults a home NAS owner expects, in order, in words", () => {
    const setup = planFor([rootDisk(), ...Array.from({ length: 4 }, (_, i) => blankDisk(i))])
    expect(setup.plan.tasks.map((t) => `${t.id} ${t.agent} ${t.message.type} after ${(t.after ?? []).join(",")}`)).toEqual([
      "pool LATTICE create-pool after ",
      "dataset-home LATTICE create-dataset after pool",
      "dataset-media LATTICE create-dataset after pool",
      "dataset-backup LATTICE create-dataset after pool",
      "share-home BRIDGE add-share after dataset-home",
      "share-media BRIDGE add-share after dataset-media",
      "share-backup BRIDGE add-share after dataset-backup",
      "snapshot-policy HELIX policy after dataset-home,dataset-media,dataset-backup",
      "snapshot-schedule HELIX schedule after snapshot-policy",
      "scrub-schedule LATTICE schedule-scrub after pool"
    ])
    expect(setup.plan.tasks[0]!.message).toEqual({
      type: "create-pool",
      pool: "tank",
      vdevs: [{ kind: "raidz2", disks: [0, 1, 2, 3].map((i) => `/dev/disk/by-id/${byIdName(i)}`) }],
      properties: { ashift: "12" },
      confirm: true
    })
    expect(setup.plan.tasks[4]!.message).toEqual({ type: "add-share", protocol: "smb", name: "home", path: "/tank/home", comment: "Home folders", confirm: true })
    expect(setup.plan.tasks[7]!.message).toMatchObject({ type: "policy", dataset: "tank", policy: { recursive: true, settings: { daily: 14, hourly: 0 } }, confirm: true })
    expect(setup.plan.tasks[9]!.message).toEqual({ type: "schedule-scrub", pool: "tank", cron: "0 3 1 * *" })
    expect(setup.summary[0]).toMatch(/^create pool tank \(raidz2 of 4, 4 disks\): 7\.8 TB usable, survives 2 disk failures \(zpool create -o ashift=12 tank raidz2 \/dev\/disk\/by-id\/ata-/)
    expect(setup.summary.at(-1)).toBe("scrub tank monthly (cron 0 3 1 * *, through ORBIT)")
  })

  it("mixed disks: ARCHITECT's left-out disks and warnings are passed on; a disk without by-id keeps its kernel name, said plainly", () => {
    const devices = [...Array.from({ length: 3 }, (_, i) => blankDisk(i)), blankDisk(3, { sizeBytes: 8e12, serial: undefined, wwn: undefined })]
    const setup = planFor(devices)
    expect(setup.leftOut).toEqual([{ device: "/dev/sdd", reason: expect.stringMatching(/size \(8\.0 TB\) differs/) }])
    expect(setup.warnings).toContain("1 disk was left out to keep like with like; see leftOut")
    const lonely = planFor([blankDisk(0, { serial: undefined, wwn: undefined }), blankDisk(1)])
    expect(lonely.layout.disks).toEqual(["/dev/sda", `/dev/disk/by-id/${byIdName(1)}`])
    expect(lonely.warnings).toContain("/dev/sda has no /dev/disk/by-id name: the pool names it by its kernel name")
  })

  it("scrub_schedule = none and snapshot_schedule = none: no such tasks, and the warnings say what that means", () => {
    const devices = [blankDisk(0), blankDisk(1)]
    const discovery = discoveryOf(devices)
    const infos = devices.map((d) => diskInfoOf(d)!)
    const config = { ...defaultGenesisConfig, scrubCron: undefined, scheduleSnapshots: false }
    const setup = buildSetupPlan({ goal: "balanced", discovery, recommendation: recommend(infos, "balanced"), config })!
    expect(setup.plan.tasks.map((t) => t.id)).not.toContain("scrub-schedule")
    expect(setup.plan.tasks.map((t) => t.id)).not.toContain("snapshot-schedule")
    expect(setup.warnings).toContain("scrub_schedule = none: no scrub is scheduled; scrub the pool by hand now and then")
    expect(setup.warnings).toContain("snapshot_schedule = none: the policy is saved, but no snapshots are taken until HELIX's run is scheduled")
    for (const task of setup.plan.tasks) expect(accepted(task.agent, task.message), task.id).toBe("ok")
  })

  it("property: any pool properties ARCHITECT writes come back out of its command", () => {
    fc.assert(fc.property(fc.dictionary(fc.constantFrom("ashift", "autotrim", "comment"), fc.stringMatching(/^[a-z0-9]{1,8}$/)), (props) => {
      const command = ["zpool", "create", ...Object.entries(props).flatMap(([k, v]) => ["-o", `${k}=${v}`]), "tank", "mirror", "sda", "sdb"]
      expect(poolProperties(command)).toEqual(props)
    }))
  })
})
