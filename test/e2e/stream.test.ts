/**
 * STREAM through the compiled binary: `sigmavault watch TOPIC...` streams a
 * topic's events as they happen, STREAM lists the live subscriptions and the
 * topics' publish counts, and a bad topic is a usage error naming the topics.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type PrivateBus, run, startPrivateBus } from "../adapters/dbus/bus.ts"
import { fakeTools } from "./fakeTools.ts"
import { binary, cli, type Daemon, startDaemon } from "./harness.ts"

const fixture = (dir: string, name: string) => readFileSync(join(import.meta.dirname, "../fixtures", dir, name), "utf8")

/** Runs a command until `pattern` appears in its stdout; resolves with all it printed. */
const until = (child: ReturnType<typeof spawn>, pattern: RegExp, what: string, timeoutMs = 15_000) =>
  new Promise<string>((resolve, reject) => {
    let out = ""
    const timer = setTimeout(() => reject(new Error(`${what}: no ${pattern} within ${timeoutMs} ms; printed:\n${out}`)), timeoutMs)
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString()
      if (pattern.test(out)) {
        clearTimeout(timer)
        resolve(out)
      }
    })
  })

describe("STREAM's topics through the binary", () => {
  let daemon: Daemon

  beforeAll(async () => {
    daemon = await startDaemon()
  })
  afterAll(async () => {
    daemon?.process.kill("SIGTERM")
    await daemon?.exited
  })

  it("watch lifecycle streams an agent's restart; STREAM lists the watcher and counts what was published", async () => {
    const watcher = spawn(binary(), ["watch", "lifecycle", "--count", "2", "--json", "--buffer", "32", "--socket", daemon.socket])
    let stdout = ""
    let stderr = ""
    watcher.stdout.on("data", (d) => (stdout += d))
    watcher.stderr.on("data", (d) => (stderr += d))
    const exited = new Promise<number | null>((resolve) => watcher.on("close", resolve))
    try {
      // The watch is listed once it is made: then the restart cannot be missed.
      const deadline = Date.now() + 10_000
      let listed: Array<{ transport: string; who: string; topics: Array<string>; capacity: number }> = []
      while (Date.now() < deadline) {
        const result = await cli(["ask", "STREAM", `{"type":"subscribers"}`, "--socket", daemon.socket])
        listed = JSON.parse(result.stdout)
        if (listed.some((s) => s.transport === "socket")) break
        await new Promise((r) => setTimeout(r, 50))
      }
      expect(listed.find((s) => s.transport === "socket")).toMatchObject({ topics: ["lifecycle"], capacity: 32, who: expect.stringMatching(/^uid 0 \(socket, pid \d+\)$/) })
      const restarted = await cli(["restart", "ECLIPSE", "--socket", daemon.socket])
      expect(restarted.code, restarted.stderr).toBe(0)
      expect(await exited, stderr).toBe(0)
      const events = stdout.trim().split("\n").map((line) => JSON.parse(line) as { _tag: string; agent: string })
      expect(events.map((e) => [e._tag, e.agent])).toEqual([["Stopped", "ECLIPSE"], ["Restarted", "ECLIPSE"]])
    } finally {
      watcher.kill()
    }
    const topics = JSON.parse((await cli(["ask", "STREAM", `{"type":"topics"}`, "--socket", daemon.socket])).stdout) as Array<{ topic: string; tags: Array<string>; published: number }>
    expect(topics.map((t) => t.topic)).toEqual(["alerts", "incidents", "progress", "metrics", "lifecycle"])
    expect(topics.find((t) => t.topic === "lifecycle")!.published).toBeGreaterThanOrEqual(42)
  }, 30_000)

  it("watch metrics: the daemon's recorded samples (FEED's runtime sampler) arrive as Metrics batches through the history wrapper", async () => {
    const watched = await cli(["watch", "metrics", "--count", "1", "--json", "--socket", daemon.socket])
    expect(watched.code, watched.stderr).toBe(0)
    const event = JSON.parse(watched.stdout.trim().split("\n")[0]!) as { _tag: string; agent: string; samples: Array<{ name: string; labels: Record<string, string>; value: number }> }
    expect(event).toMatchObject({ _tag: "Metrics", agent: "HISTORY" })
    expect(event.samples.length).toBeGreaterThan(0)
    for (const sample of event.samples) expect(sample.name).toMatch(/^sigmavault_/)
    // Nobody watches now: the topic's count stops with the batches sent while someone did.
    const topics = JSON.parse((await cli(["ask", "STREAM", `{"type":"topics"}`, "--socket", daemon.socket])).stdout) as Array<{ topic: string; published: number; subscribers: number }>
    expect(topics.find((t) => t.topic === "metrics")).toMatchObject({ subscribers: 0 })
    expect(topics.find((t) => t.topic === "metrics")!.published).toBeGreaterThanOrEqual(1)
  }, 60_000)

  it("an unknown topic is a usage error naming the topics; --help says what watch does", async () => {
    const bad = await cli(["watch", "gossip", "--socket", daemon.socket])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("unknown topic 'gossip'; topics: alerts, incidents, progress, metrics, lifecycle")
    const help = await cli(["watch", "--help"])
    expect(help.stdout).toContain("Usage: sigmavault watch TOPIC [TOPIC...]")
    expect(help.stdout).toContain("--buffer N")
  })
})

describe("an alert from a real agent, as a D-Bus signal and on a watching terminal", () => {
  let daemon: Daemon
  let bus: PrivateBus
  const dir = mkdtempSync(join(tmpdir(), `sigmavault-e2e-stream-${process.pid}-`))

  beforeAll(async () => {
    const tools = fakeTools(join(dir, "bin"), {
      zpool: [
        [["list", "-j", "--json-int"], { stdout: fixture("zfs", "list.int.json") }],
        [["status", "-j", "--json-int"], { stdout: fixture("zfs", "status-raidz1-degraded.int.json") }]
      ]
    })
    bus = await startPrivateBus()
    daemon = await startDaemon({ dir, env: { PATH: tools.path }, args: ["--dbus", "session", "--dbus-address", bus.address] })
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

  it("LATTICE's degraded-pool alert arrives as Runtime1.Alert (gdbus monitor) and on `watch alerts`", async () => {
    const monitor = spawn("gdbus", ["monitor", "--address", bus.address, "--dest", "org.sigmavault.Runtime", "--object-path", "/org/sigmavault/Runtime"])
    const watcher = spawn(binary(), ["watch", "alerts", "--count", "1", "--json", "--socket", daemon.socket])
    try {
      const monitoring = until(monitor, /Monitoring signals/, "gdbus monitor")
      await monitoring
      const signalled = until(monitor, /Runtime1\.Alert \('LATTICE', '(warning|critical)', '[^']*tank[^']*', '[^']*DEGRADED[^']*', '[A-Z][A-Z0-9]*(-[A-Z0-9]+)+', uint64 \d+\)/, "the Alert signal")
      const watched = until(watcher, /"_tag":"Alert"/, "sigmavault watch alerts")
      // Wait until the watch is listed, then restart LATTICE: its new incarnation reads the pools afresh and alerts.
      for (let i = 0; i < 200; i++) {
        const listed = JSON.parse((await cli(["ask", "STREAM", '{"type":"subscribers"}', "--socket", daemon.socket])).stdout) as Array<{ transport: string }>
        if (listed.some((s) => s.transport === "socket")) break
        await new Promise((r) => setTimeout(r, 50))
      }
      expect((await cli(["restart", "LATTICE", "--socket", daemon.socket])).code).toBe(0)
      await signalled
      const line = JSON.parse((await watched).trim().split("\n")[0]!) as { _tag: string; agent: string; subject: string }
      expect(line).toMatchObject({ _tag: "Alert", agent: "LATTICE" })
      const topics = JSON.parse((await cli(["ask", "STREAM", '{"type":"topics"}', "--socket", daemon.socket])).stdout) as Array<{ topic: string; published: number }>
      expect(topics.find((t) => t.topic === "alerts")!.published).toBeGreaterThanOrEqual(2)
    } finally {
      monitor.kill()
      watcher.kill()
    }
  }, 30_000)
})
