/**
 * The storage agents in the compiled binary, with zpool, zfs, lsblk and
 * smartctl supplied on PATH by stand-ins that answer from the fixtures (no
 * machine here has ZFS or SMART disks): what an administrator asks over the
 * control socket, what is run and what never is.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ataJson, nvmeJson, scanJson } from "../support/smartctlJson.ts"
import { type Answer, fakeTools } from "./fakeTools.ts"
import { cli, type Daemon, startDaemon } from "./harness.ts"

const fixture = (dir: string, name: string) => readFileSync(join(import.meta.dirname, "../fixtures", dir, name), "utf8")
const DATASETS = ["list", "-j", "--json-int", "-t", "filesystem,volume", "-o", "name,type,used,available,referenced,mountpoint,mounted"]

const answers = (): Record<string, ReadonlyArray<readonly [ReadonlyArray<string>, Answer]>> => ({
  zpool: [
    [["list", "-j", "--json-int"], { stdout: fixture("zfs", "list.int.json") }],
    [["status", "-j", "--json-int"], { stdout: fixture("zfs", "status-raidz1-degraded.int.json") }],
    [["status", "-j", "--json-int", "tank"], { stdout: fixture("zfs", "status-raidz1-degraded.int.json") }],
    [["scrub", "tank"], { stdout: "" }]
  ],
  zfs: [[DATASETS, { stdout: fixture("zfs", "datasets.int.json") }], [["destroy", "tank/photos@monday"], { stdout: "" }]],
  lsblk: [[["-J", "-b", "-O"], { stdout: fixture("lsblk", "nas-4hdd-nvme-usb.json") }]],
  smartctl: [
    [["--scan-open", "--json"], { stdout: scanJson([{ name: "/dev/sda" }, { name: "/dev/sdb" }, { name: "/dev/nvme0", type: "nvme", protocol: "NVMe" }]) }],
    [["--json", "-x", "/dev/sda"], { stdout: ataJson({ device: "/dev/sda" }) }],
    [["--json", "-x", "/dev/sdb"], { stdout: fixture("smart", "ata-hdd-failing.json"), code: 152 }],
    [["--json", "-x", "/dev/nvme0"], { stdout: nvmeJson({}) }]
  ]
})

let daemon: Daemon
let tools: ReturnType<typeof fakeTools>

const ask = async (agent: string, message: unknown) => {
  const result = await cli(["ask", agent, JSON.stringify(message), "--json", "--socket", daemon.socket])
  return { ...result, json: result.code === 0 ? JSON.parse(result.stdout) : undefined }
}

describe("storage agents in the binary", () => {
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "sigmavault-e2e-storage-"))
    tools = fakeTools(join(dir, "bin"), answers())
    daemon = await startDaemon({ dir, env: { PATH: tools.path } })
  }, 30_000)
  afterAll(() => void daemon?.process.kill("SIGTERM"))

  it("LATTICE reports the degraded pool and alerts on the event stream", async () => {
    const health = await ask("LATTICE", { type: "health" })
    expect(health.stderr).toBe("")
    expect(health.json.healthy).toBe(false)
    expect(health.json.pools[0]).toMatchObject({ name: "tank", state: "DEGRADED", errors: { read: 3, write: 0, checksum: 14 }, capacity: { percent: 44, level: "ok" } })
    expect(health.json.pools[0].problems.map((p: { vdev: string; state: string }) => `${p.vdev} ${p.state}`)).toEqual([
      "raidz1-0 DEGRADED",
      "raidz1-0/sdb FAULTED",
      "raidz1-0/sdc ONLINE"
    ])
    expect(daemon.log()).toMatch(/pool tank is DEGRADED/)
    const schedules = await ask("ORBIT", { type: "list" })
    expect(schedules.json.schedules.map((s: { name: string }) => s.name)).toContain("scrub-tank")
  })

  it("changes are only planned without confirm; hostile names never reach a tool", async () => {
    const plan = await ask("LATTICE", { type: "destroy", dataset: "tank/photos" })
    expect(plan.json).toEqual({ command: ["zfs", "destroy", "tank/photos"], display: "zfs destroy tank/photos", executed: false })
    const hostile = await ask("LATTICE", { type: "create-dataset", dataset: "tank/$(reboot)", confirm: true })
    expect(hostile.code).not.toBe(0)
    expect(hostile.stderr).toMatch(/dataset/)
    const property = await ask("LATTICE", { type: "set", dataset: "tank/photos", property: "compression", value: "-o", confirm: true })
    expect(property.stderr).toMatch(/invalid value name "-o": it starts with '-'/)
    expect(tools.calls().filter((c) => /destroy|create|set/.test(c))).toEqual([])
    const scrub = await ask("LATTICE", { type: "scrub", pool: "tank", action: "start" })
    expect(scrub.code).toBe(0)
    expect(tools.calls()).toContain("zpool scrub tank")
  })

  it("LATTICE destroys a snapshot: planned first, run only with confirm", async () => {
    const plan = await ask("LATTICE", { type: "destroy", dataset: "tank/photos@monday" })
    expect(plan.json).toEqual({ command: ["zfs", "destroy", "tank/photos@monday"], display: "zfs destroy tank/photos@monday", executed: false })
    expect(tools.calls()).not.toContain("zfs destroy tank/photos@monday")
    const bookmark = await ask("LATTICE", { type: "destroy", dataset: "tank/photos#mark", confirm: true })
    expect(bookmark.stderr).toMatch(/'#' \(a bookmark\) is not allowed here/)
    const done = await ask("LATTICE", { type: "destroy", dataset: "tank/photos@monday", confirm: true })
    expect(done.code, done.stderr).toBe(0)
    expect(done.json.executed).toBe(true)
    expect(tools.calls().filter((c) => c.startsWith("zfs destroy"))).toEqual(["zfs destroy tank/photos@monday"])
  })

  it("ORACLE judges each disk from smartctl, with the evidence in words", async () => {
    const assessed = await ask("ORACLE", { type: "assess" })
    expect(assessed.stderr).toBe("")
    const levels = Object.fromEntries(assessed.json.disks.map((d: { device: string; level: string }) => [d.device, d.level]))
    expect(levels).toEqual({ "/dev/sda": "ok", "/dev/sdb": "critical", "/dev/nvme0": "ok" })
    const sdb = assessed.json.disks.find((d: { device: string }) => d.device === "/dev/sdb")
    expect(sdb.evidence.map((e: { text: string }) => e.text)).toContain("the drive's own SMART health check says FAILED")
    const bad = await ask("ORACLE", { type: "assess", device: "/dev/../etc/shadow" })
    expect(bad.code).not.toBe(0)
    expect(tools.calls().some((c) => c.includes("shadow"))).toBe(false)
  })

  it("VERTEX says what a disk's death would do; ARCHITECT explains why it has no free disks", async () => {
    const impact = await ask("VERTEX", { type: "impact", disk: "sdc" })
    expect(impact.json.text).toBe("if /dev/sdc dies: pool tank is FAULTED (its data is unavailable), affecting tank, tank/legacy, tank/photos, tank/vm-disk")
    const recommend = await ask("ARCHITECT", { type: "recommend" })
    expect(recommend.code).not.toBe(0)
    expect(recommend.stderr).toMatch(/no free disks to lay out: \/dev\/sda \(it is a ZFS member of pool tank\)/)
    const layout = await ask("ARCHITECT", { type: "recommend", disks: ["sda", "sdb", "sdc", "sdd"], pool: "new" })
    expect(layout.json.candidates[0].display).toBe("zpool create -o ashift=12 new raidz2 /dev/sda /dev/sdb /dev/sdc /dev/sdd")
  })

  it("ATLAS scans a directory within its budget", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sigmavault-e2e-atlas-"))
    writeFileSync(join(dir, "film.mkv"), Buffer.alloc(100_000))
    writeFileSync(join(dir, "notes\nwith newline.txt"), "hello")
    const usage = await ask("ATLAS", { type: "usage", path: dir })
    expect(usage.json).toMatchObject({ complete: true, files: 2, apparentBytes: 100_005 })
    expect(usage.json.largestFiles[0].path).toBe(join(dir, "film.mkv"))
  })
})

describe("a machine without ZFS", () => {
  it("LATTICE says ZFS is not installed and the daemon carries on", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sigmavault-e2e-nozfs-"))
    const none = fakeTools(join(dir, "bin"), { lsblk: answers().lsblk! })
    const bare = await startDaemon({ dir, env: { PATH: none.path.replace(/:.*$/, "") + ":/usr/bin:/bin" } })
    try {
      const result = await cli(["ask", "LATTICE", JSON.stringify({ type: "health" }), "--socket", bare.socket])
      expect(result.code).not.toBe(0)
      expect(result.stderr).toMatch(/ZFS is not installed \(zpool and zfs are not on PATH\)/)
      const topology = await cli(["ask", "VERTEX", JSON.stringify({ type: "topology" }), "--json", "--socket", bare.socket])
      expect(JSON.parse(topology.stdout).zfs).toBe("ZFS is not installed (zpool and zfs are not on PATH)")
      const ping = await cli(["ask", "CORE", JSON.stringify({ type: "ping" }), "--socket", bare.socket])
      expect(ping.code).toBe(0)
    } finally {
      bare.process.kill("SIGTERM")
      await bare.exited
    }
  }, 30_000)
})
