/**
 * Finding codes through the compiled binary: a pool that goes DEGRADED with a
 * missing disk (zpool stand-ins answering from the fixtures, as in
 * storage.test.ts) is alerted with zpool's own id, which `sigmavault events`
 * prints in brackets, the D-Bus Alert signal carries (busctl monitor), and
 * NEXUS keeps with the incident's alert; MENTOR explains it.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type PrivateBus, run, startPrivateBus } from "../adapters/dbus/bus.ts"
import { type Answer, fakeTools } from "./fakeTools.ts"
import { binary, cli, type Daemon, startDaemon } from "./harness.ts"

const fixture = (dir: string, name: string) => readFileSync(join(import.meta.dirname, "../fixtures", dir, name), "utf8")
const DATASETS = ["list", "-j", "--json-int", "-t", "filesystem,volume", "-o", "name,type,used,available,referenced,mountpoint,mounted"]

const answers = (status: string): Record<string, ReadonlyArray<readonly [ReadonlyArray<string>, Answer]>> => ({
  zpool: [
    [["list", "-j", "--json-int"], { stdout: fixture("zfs", "list.int.json") }],
    [["status", "-j", "--json-int"], { stdout: fixture("zfs", status) }],
    [["status", "-j", "--json-int", "tank"], { stdout: fixture("zfs", status) }]
  ],
  zfs: [[DATASETS, { stdout: fixture("zfs", "datasets.int.json") }]],
  lsblk: [[["-J", "-b", "-O"], { stdout: fixture("lsblk", "nas-4hdd-nvme-usb.json") }]]
})

/** Output of a long-running command, read as it comes. */
const follow = (file: string, args: ReadonlyArray<string>) => {
  const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"] })
  let out = ""
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()))
  child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()))
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()))
  return {
    child,
    exited,
    output: () => out,
    seen: async (pattern: RegExp, timeoutMs: number, what: string) => {
      const deadline = Date.now() + timeoutMs
      while (!pattern.test(out)) {
        if (Date.now() > deadline) throw new Error(`${what} printed no ${pattern} within ${timeoutMs} ms; it printed:\n${out}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
  }
}

describe("finding codes in the binary", () => {
  const dir = mkdtempSync(join(tmpdir(), `sigmavault-e2e-findings-${process.pid}-`))
  let daemon: Daemon
  let bus: PrivateBus

  const ask = async (agent: string, message: unknown) => {
    const result = await cli(["ask", agent, JSON.stringify(message), "--json", "--socket", daemon.socket])
    return { ...result, json: result.code === 0 ? JSON.parse(result.stdout) : undefined }
  }

  beforeAll(async () => {
    // A healthy mirror first: the alert comes when it degrades, while the event stream and the bus are watched.
    const tools = fakeTools(join(dir, "bin"), answers("status-mirror-healthy.int.json"))
    bus = await startPrivateBus()
    const config = join(dir, "findings.conf")
    writeFileSync(config, `file_roots = ${dir}\npool_check_interval_seconds = 10\n`)
    daemon = await startDaemon({
      dir,
      env: { PATH: tools.path },
      args: ["--config", config, "--dbus", "session", "--dbus-address", bus.address]
    })
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline) {
      if ((await run("busctl", [`--address=${bus.address}`, "status", "org.sigmavault.Runtime"])).code === 0) return
    }
    throw new Error(`org.sigmavault.Runtime never appeared on the bus; daemon log:\n${daemon.log()}`)
  }, 30_000)

  afterAll(async () => {
    daemon?.process.kill("SIGTERM")
    await daemon?.exited
    bus?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it("a disk goes missing: `sigmavault events` shows [ZFS-8000-2Q], the D-Bus Alert signal carries it, NEXUS keeps it, LATTICE reports the msgid", async () => {
    const events = follow(binary(), ["events", "--agent", "LATTICE", "--socket", daemon.socket])
    const monitor = follow("busctl", [`--address=${bus.address}`, "monitor", "org.sigmavault.Runtime"])
    try {
      // Both are subscribed once the daemon counts the terminal's connection and busctl says it is monitoring.
      await expect.poll(async () => JSON.parse((await cli(["status", "--json", "--socket", daemon.socket])).stdout).connections, { timeout: 5_000 })
        .toBeGreaterThanOrEqual(2)
      await monitor.seen(/Monitoring bus message stream/, 5_000, "busctl monitor")
      fakeTools(join(dir, "bin"), answers("status-mirror-missing.int.json"))
      // LATTICE reads the pools every 10 s here.
      await events.seen(/\[ZFS-8000-2Q\]/, 25_000, "sigmavault events")
      expect(events.output()).toMatch(/LATTICE: warning: pool tank is DEGRADED \(was ONLINE\): One or more devices could not be opened\..* \[ZFS-8000-2Q\]/)
      expect(events.output()).toMatch(/tank: mirror-0\/ata-WDC_WD40EFRX-68N32N0_WD-WCC7K2GHIJKL is UNAVAIL \[LATTICE-VDEV-UNAVAIL\]/)
      await monitor.seen(/Member=Alert/, 5_000, "busctl monitor")
      expect(monitor.output()).toMatch(/STRING "LATTICE";\s*STRING "warning";\s*STRING "pool tank";\s*STRING "pool tank is DEGRADED[^"]*";\s*STRING "ZFS-8000-2Q";\s*UINT64 \d+;/)
    } finally {
      events.child.kill("SIGTERM")
      monitor.child.kill("SIGTERM")
      await Promise.all([events.exited, monitor.exited])
    }
    const health = await ask("LATTICE", { type: "health", pool: "tank" })
    expect(health.json.pools[0]).toMatchObject({ state: "DEGRADED", msgid: "ZFS-8000-2Q" })
    // NEXUS keeps the code with the alert in its incident (after its group_wait).
    await expect.poll(async () => {
      const listed = await ask("NEXUS", { type: "incidents", open: false })
      const codes: Array<string> = []
      for (const incident of listed.json.incidents) {
        const detail = await ask("NEXUS", { type: "incident", id: incident.id })
        for (const alert of detail.json.alerts) if (alert.code !== undefined) codes.push(alert.code)
      }
      return codes
    }, { timeout: 40_000, interval: 1_000 }).toContain("ZFS-8000-2Q")
  }, 90_000)

  it("MENTOR explains a code, and an alert line as `sigmavault events` prints it, with the pool filled in", async () => {
    const explained = await ask("MENTOR", { type: "explain", finding: "ZFS-8000-9P" })
    expect(explained.code, explained.stderr).toBe(0)
    expect(explained.json.explanations[0]).toMatchObject({ code: "ZFS-8000-9P", source: "zfs", urgency: "warning", see: "https://openzfs.github.io/openzfs-docs/msg/ZFS-8000-9P" })
    // The default output, for a person.
    const human = await cli(["ask", "MENTOR", JSON.stringify({ type: "explain", finding: "ZFS-8000-9P" }), "--socket", daemon.socket])
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/ZFS-8000-9P/)
    const line = await ask("MENTOR", { type: "remediation", finding: "LATTICE pool tank: pool tank is DEGRADED (was ONLINE): One or more devices could not be opened. [ZFS-8000-2Q]" })
    expect(line.json.remediations[0].code).toBe("ZFS-8000-2Q")
    expect(line.json.remediations[0].steps[0]).toEqual({ text: "see what zpool says about the pool, device by device", class: "safe", command: ["zpool", "status", "-v", "tank"] })
    const unknown = await cli(["ask", "MENTOR", JSON.stringify({ type: "explain", finding: "ZFS-8000-9Q" }), "--socket", daemon.socket])
    expect(unknown.code).not.toBe(0)
    expect(unknown.stderr).toMatch(/did you mean ZFS-8000-2Q, ZFS-8000-9P, ZFS-8000-JQ\?/)
  })
})
