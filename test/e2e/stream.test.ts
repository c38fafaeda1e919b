/**
 * STREAM through the compiled binary: `sigmavault watch TOPIC...` streams a
 * topic's events as they happen, STREAM lists the live subscriptions and the
 * topics' publish counts, and a bad topic is a usage error naming the topics.
 */
import { spawn } from "node:child_process"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { binary, cli, type Daemon, startDaemon } from "./harness.ts"

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

  it("an unknown topic is a usage error naming the topics; --help says what watch does", async () => {
    const bad = await cli(["watch", "gossip", "--socket", daemon.socket])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("unknown topic 'gossip'; topics: alerts, incidents, progress, metrics, lifecycle")
    const help = await cli(["watch", "--help"])
    expect(help.stdout).toContain("Usage: sigmavault watch TOPIC [TOPIC...]")
    expect(help.stdout).toContain("--buffer N")
  })
})
