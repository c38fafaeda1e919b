/**
 * GENESIS in the compiled binary: a machine with a root disk, four blank
 * disks (one failing) and a disk in pool tank, lsblk, zpool and smartctl
 * supplied by stand-ins. What
 * an administrator and a reader see over the control socket: the free disks,
 * the dry-run plan, a reader refused `setup`, and nothing ever created.
 */
import { execFileSync } from "node:child_process"
import { chmodSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ataJson, scanJson } from "../support/smartctlJson.ts"
import { blankDisk, lsblkJson, partition, rootDisk } from "../support/genesisInventory.ts"
import { fakeTools } from "./fakeTools.ts"
import { cli, cliAs, type Daemon, startDaemon } from "./harness.ts"

const isRoot = process.getuid?.() === 0
const fixture = (dir: string, name: string) => readFileSync(join(import.meta.dirname, "../fixtures", dir, name), "utf8")
// sde is in pool tank, whose status names its leaves by by-id links (test/fixtures/zfs/status-mirror-healthy.int.json);
// this machine has no /dev/disk/by-id, so GENESIS finds the disk by the serial the link's name embeds.
const pooled = blankDisk(4, { serial: "WD-WCC7K1ABCDEF" })
const devices = [
  rootDisk(),
  ...Array.from({ length: 4 }, (_, i) => blankDisk(i)),
  { ...pooled, children: [partition(pooled, 1, { fstype: "zfs_member", label: "tank" }), partition(pooled, 9)] }
]

const answers = () => ({
  lsblk: [[["-J", "-b", "-O"], { stdout: lsblkJson(devices) }]] as const,
  zpool: [
    [["status", "-j", "--json-int"], { stdout: fixture("zfs", "status-mirror-healthy.int.json") }],
    [["list", "-j", "--json-int"], { stdout: fixture("zfs", "list.int.json") }]
  ] as const,
  smartctl: [
    [["--scan-open", "--json"], { stdout: scanJson(devices.slice(1).map((d) => ({ name: d.path }))) }],
    ...devices.slice(1).map((d) => [["--json", "-x", d.path], d.name === "sdc"
      ? { stdout: ataJson({ device: d.path, serial: d.serial!, passed: false }), code: 8 }
      : { stdout: ataJson({ device: d.path, serial: d.serial! }) }] as const)
  ]
})

const suffix = process.pid.toString(36)
const READERS = `svgr${suffix}`
const READER = `svgread${suffix}`

describe.skipIf(!isRoot)("GENESIS in the binary", () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), `sigmavault-e2e-genesis-${process.pid}-`)))
  let daemon: Daemon
  let tools: ReturnType<typeof fakeTools>
  const ask = async (message: unknown, user?: string) => {
    const args = ["ask", "GENESIS", JSON.stringify(message), "--json", "--socket", daemon.socket]
    const result = user === undefined ? await cli(args) : await cliAs(user, args)
    return { ...result, json: result.code === 0 ? JSON.parse(result.stdout) : undefined }
  }

  beforeAll(async () => {
    execFileSync("groupadd", [READERS])
    execFileSync("useradd", ["-M", "-N", "-g", READERS, "-s", "/usr/sbin/nologin", READER])
    chmodSync(dir, 0o755)
    tools = fakeTools(join(dir, "bin"), answers() as never)
    writeFileSync(join(dir, "sigmavault.conf"), [`socket_group = ${READERS}`, "socket_mode = 0660", `role_read = ${READERS}`, ""].join("\n"))
    daemon = await startDaemon({ dir, env: { PATH: tools.path }, args: ["--config", join(dir, "sigmavault.conf")] })
    chmodSync(join(dir, "run"), 0o755)
  }, 60_000)

  afterAll(async () => {
    daemon?.process.kill("SIGTERM")
    await daemon?.exited
    try {
      execFileSync("userdel", [READER])
    } finally {
      execFileSync("groupdel", [READERS])
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("a reader discovers the free disks: the root disk and the pooled one (found through its by-id leaf) are used, the failing one refused with ORACLE's reason", async () => {
    const found = await ask({ type: "discover" }, READER)
    expect(found.code, found.stderr).toBe(0)
    expect(found.json.disks.map((d: { device: string; health: { level: string } }) => `${d.device} ${d.health.level}`)).toEqual([
      "/dev/sda ok", "/dev/sdb ok", "/dev/sdd ok"
    ])
    expect(found.json.refused.map((d: { device: string }) => d.device)).toEqual(["/dev/sdc"])
    expect(found.json.refused[0].reason).toMatch(/ORACLE says it is failing \(critical\): .*SMART health check says FAILED/)
    expect(found.json.used).toEqual([
      { device: "/dev/vda", reason: "holds the root filesystem (/dev/vda1 is mounted at /)" },
      { device: "/dev/sde", reason: "in pool tank (as /dev/disk/by-id/ata-WDC_WD40EFRX-68N32N0_WD-WCC7K1ABCDEF-part1)" }
    ])
    // This machine has no /dev/disk/by-id: said, and the plan falls back to kernel names; the pool's other disk is not here.
    expect(found.json.notes).toEqual([
      "/dev/disk/by-id lists no disks (is udev running?): pools would name disks by kernel names",
      "ZFS leaves no block device matches: tank: /dev/disk/by-id/ata-WDC_WD40EFRX-68N32N0_WD-WCC7K2GHIJKL-part1"
    ])
  })

  it("a reader gets the dry-run plan in words; nothing is run", async () => {
    const plan = await ask({ type: "setup-plan" }, READER)
    expect(plan.code, plan.stderr).toBe(0)
    expect(plan.json.layout).toMatchObject({ name: "3-way mirror", faultTolerance: 2, disks: ["/dev/sda", "/dev/sdb", "/dev/sdd"] })
    expect(plan.json.plan.tasks.map((t: { id: string }) => t.id)).toEqual([
      "pool", "dataset-home", "dataset-media", "dataset-backup", "share-home", "share-media", "share-backup",
      "snapshot-policy", "snapshot-schedule", "scrub-schedule"
    ])
    expect(plan.json.summary[0]).toMatch(/^create pool tank \(3-way mirror, 3 disks\)/)
    expect(plan.json.warnings.join("\n")).toMatch(/\/dev\/sdc is left out: ORACLE says it is failing/)
    expect(tools.calls().filter((c) => / create|add-share/.test(c))).toEqual([])
  })

  it("a reader may not run setup; an admin's setup without confirm is the same dry run", async () => {
    const refused = await ask({ type: "setup", confirm: true }, READER)
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toMatch(/GENESIS 'setup': it needs admin access/)
    const dry = await ask({ type: "setup" })
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.json.executed).toBe(false)
    expect(dry.json.plan.tasks).toHaveLength(10)
  })

  it("with confirm the plan goes to APEX as the admin's, or APEX says plainly why not; GENESIS itself never creates anything", async () => {
    const run = await ask({ type: "setup", confirm: true })
    if (run.code === 0) {
      // APEX is built: it accepted the plan and answers at once with its id.
      expect(run.json.executed).toBe(true)
      expect(run.json.apex).toHaveProperty("id")
    } else {
      // APEX is still planned on this branch: the refusal names it, and nothing was created.
      expect(run.stderr).toMatch(/APEX could not help/)
      expect(tools.calls().filter((c) => c.startsWith("zpool create") || c.startsWith("zfs create"))).toEqual([])
    }
    expect(daemon.log()).not.toMatch(/ProtocolViolation/)
  })

  it("hostile input is refused at the boundary, naming the field", async () => {
    const bad = await ask({ type: "setup-plan", goal: "everything; rm -rf /" }, READER)
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toMatch(/goal/)
  })
})
