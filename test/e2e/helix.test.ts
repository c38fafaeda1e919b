/**
 * HELIX in the compiled binary, as an administrator uses it with
 * `sigmavault ask HELIX …`. On this machine there is no ZFS: the first daemon
 * says so plainly (overview, prune) while policies are still kept. The
 * second runs with a stand-in `zfs` on PATH answering `zfs list -j -t
 * snapshot` from a generated history: prune is a dry run with every
 * snapshot's reason, runs nothing; with confirm it runs one `zfs destroy` per
 * pruned snapshot, exactly those; `snapshot` plans and takes.
 */
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { autosnapName } from "../../src/actors/helix/policy.ts"
import { type Answer, fakeTools } from "./fakeTools.ts"
import { cli, type Daemon, startDaemon } from "./harness.ts"

const LIST = ["list", "-j", "--json-int", "-t", "snapshot", "-o", "name,creation,used,referenced,userrefs"]
const DAY = 86_400

const prop = (value: unknown) => ({ value, source: { type: "NONE", data: "-" } })
/** `zfs list -j --json-int -t snapshot` for tank/photos: a daily snapshot for each of the last `days` days, and one by hand. */
const history = (now: number, days: number) => {
  const snapshots = [
    ...Array.from({ length: days }, (_, i) => ({ name: `tank/photos@${autosnapName(now - (days - i) * DAY, "daily")}`, creation: now - (days - i) * DAY })),
    { name: "tank/photos@before-upgrade", creation: now - 40 * DAY }
  ]
  const datasets = Object.fromEntries(snapshots.map((s) => [s.name, {
    name: s.name,
    type: "SNAPSHOT",
    pool: "tank",
    createtxg: 100,
    dataset: "tank/photos",
    snapshot_name: s.name.split("@")[1],
    properties: { creation: prop(s.creation), used: prop(0), referenced: prop(1024), userrefs: prop(0) }
  }]))
  return { snapshots, text: JSON.stringify({ output_version: { command: "zfs list", vers_major: 0, vers_minor: 1 }, datasets }) }
}

const askWith = (socket: () => string) => async (message: unknown) => {
  const result = await cli(["ask", "HELIX", JSON.stringify(message), "--json", "--socket", socket()])
  return { ...result, json: result.code === 0 ? JSON.parse(result.stdout) : undefined }
}

describe("HELIX in the binary, on a machine without ZFS", () => {
  let daemon: Daemon
  const ask = askWith(() => daemon.socket)
  const dir = mkdtempSync(join(tmpdir(), `sigmavault-e2e-helix-${process.pid}-`))

  beforeAll(async () => {
    // PATH without any zfs: this machine has none (PLATFORM.md), and the test says so rather than assume.
    daemon = await startDaemon({ dir, env: { PATH: "/usr/bin:/bin" } })
  }, 30_000)
  afterAll(async () => {
    daemon?.process.kill("SIGTERM")
    await daemon?.exited
    rmSync(dir, { recursive: true, force: true })
  })

  it("says ZFS is not installed, refuses prune with that reason, and still keeps policies", async () => {
    const overview = await ask({ type: "overview" })
    expect(overview.code, overview.stderr).toBe(0)
    expect(overview.json).toMatchObject({ zfs: "ZFS is not installed (zpool and zfs are not on PATH)", schedule: "*/15 * * * *", due: [], warnings: [] })
    const prune = await ask({ type: "prune" })
    expect(prune.code).not.toBe(0)
    expect(prune.stderr).toContain("ZFS is not installed (zpool and zfs are not on PATH)")
    const plan = await ask({ type: "policy", template: "photos", settings: { hourly: 24, daily: 7, monthly: 3 } })
    expect(plan.json).toMatchObject({ saved: false, before: null })
    expect((await ask({ type: "policy", template: "photos", settings: { hourly: 24, daily: 7, monthly: 3 }, confirm: true })).json.saved).toBe(true)
    const set = await ask({ type: "policy", dataset: "tank/photos", policy: { templates: ["photos"] }, confirm: true })
    expect(set.json.effective).toMatchObject({ dataset: "tank/photos", counts: { hourly: 24, daily: 7, monthly: 3, weekly: 0 } })
    const hostile = await ask({ type: "snapshot", dataset: "tank/photos", name: "x;reboot" })
    expect(hostile.code).not.toBe(0)
    expect(hostile.stderr).toMatch(/name/)
  })
})

describe("HELIX in the binary, with a stand-in zfs", () => {
  let daemon: Daemon
  let tools: ReturnType<typeof fakeTools>
  const ask = askWith(() => daemon.socket)
  const dir = mkdtempSync(join(tmpdir(), `sigmavault-e2e-helix-zfs-${process.pid}-`))
  const now = Math.floor(Date.now() / 1000)
  const { snapshots, text } = history(now, 10)
  // daily=3: the three newest stay; the seven older ones go (each older than 3 days).
  const doomed = snapshots.slice(0, 7).map((s) => s.name)

  beforeAll(async () => {
    const answers: Record<string, ReadonlyArray<readonly [ReadonlyArray<string>, Answer]>> = {
      zfs: [
        [LIST, { stdout: text }],
        [["snapshot", "tank/photos@before-update"], { stdout: "" }],
        ...doomed.map((name) => [["destroy", name], { stdout: "" }] as const)
      ]
    }
    tools = fakeTools(join(dir, "bin"), answers)
    // No scheduled run: a quarter-hour passing mid-test must not add its own zfs calls.
    writeFileSync(join(dir, "helix.conf"), `file_roots = ${realpathSync(tmpdir())}\nsnapshot_schedule = none\n`)
    daemon = await startDaemon({ dir, env: { PATH: tools.path }, args: ["--config", join(dir, "helix.conf")] })
  }, 30_000)
  afterAll(async () => {
    daemon?.process.kill("SIGTERM")
    await daemon?.exited
    rmSync(dir, { recursive: true, force: true })
  })

  it("prune: a dry run with every snapshot's reason runs nothing; confirm destroys exactly the pruned ones", async () => {
    const set = await ask({ type: "policy", dataset: "tank/photos", policy: { settings: { daily: 3, hourly: 0, monthly: 0 } }, confirm: true })
    expect(set.code, set.stderr).toBe(0)
    const dry = await ask({ type: "prune", dataset: "tank/photos" })
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.json.dryRun).toBe(true)
    const decisions = dry.json.decisions as Array<{ snapshot: string; action: string; reason: string }>
    expect(decisions.length).toBe(snapshots.length)
    expect(decisions.filter((d) => d.action === "prune").map((d) => d.snapshot).sort()).toEqual([...doomed].sort())
    expect(decisions.find((d) => d.snapshot === "tank/photos@before-upgrade")?.reason).toBe("not an autosnap_…ly snapshot: retention leaves it alone")
    expect(decisions.find((d) => d.snapshot === doomed[6])?.reason).toBe("4th newest daily beyond daily=3, and 4 days old, older than 3 × 1 day")
    expect(tools.calls().filter((c) => !c.startsWith("zfs list"))).toEqual([])

    const applied = await ask({ type: "prune", dataset: "tank/photos", confirm: true })
    expect(applied.code, applied.stderr).toBe(0)
    expect(applied.json.destroyed).toEqual(doomed)
    expect(applied.json.failed).toEqual([])
    expect(tools.calls().filter((c) => !c.startsWith("zfs list"))).toEqual(doomed.map((name) => `zfs destroy ${name}`))
  })

  it("snapshot: planned with the exact command, taken only with confirm", async () => {
    const plan = await ask({ type: "snapshot", dataset: "tank/photos", name: "before-update" })
    expect(plan.json.planned).toMatchObject({ display: "zfs snapshot tank/photos@before-update", executed: false })
    expect(tools.calls()).not.toContain("zfs snapshot tank/photos@before-update")
    const taken = await ask({ type: "snapshot", dataset: "tank/photos", name: "before-update", confirm: true })
    expect(taken.json.planned.executed).toBe(true)
    expect(tools.calls()).toContain("zfs snapshot tank/photos@before-update")
  })
})
