/**
 * Supervision as an administrator meets it through the compiled binary: a
 * crashed ask is answered at once, an operator's restart of a busy agent is
 * prompt and counted once, a test fault told during a restart is not lost, a
 * crash loop escalates however backoff spaces it, and a graceful stop keeps
 * its deadline with every agent stalled.
 */
import { describe, expect, it } from "vitest"
import { cli, connectRaw, frames, request, startDaemon, type Daemon } from "./harness.ts"

const AGENTS = [
  "OMNISCIENT", "APEX", "CIPHER", "ARCHITECT", "AXIOM", "VELOCITY", "QUANTUM", "TENSOR", "FORTRESS", "NEURAL",
  "CRYPTO", "FLUX", "PRISM", "SYNAPSE", "CORE", "HELIX", "VANGUARD", "ECLIPSE", "ATLAS", "FORGE", "SENTRY",
  "NEXUS", "GENESIS", "STREAM", "PHOTON", "LATTICE", "MORPH", "PHANTOM", "ORBIT", "CANVAS", "LINGUA", "SCRIBE",
  "MENTOR", "BRIDGE", "LEDGER", "PULSE", "AEGIS", "ORACLE", "ARBITER", "VERTEX"
]

const on = (daemon: Daemon, args: ReadonlyArray<string>) => cli([...args, "--socket", daemon.socket])

const statusOf = async (daemon: Daemon) => JSON.parse((await on(daemon, ["status", "--json"])).stdout)
const agentStatus = async (daemon: Daemon, name: string) => (await statusOf(daemon)).agents.find((a: { name: string }) => a.name === name)

/** Tells each (agent, message) on one connection, pipelined, and waits until every tell is accepted. */
const tellAll = async (daemon: Daemon, tells: ReadonlyArray<readonly [string, unknown]>) => {
  const socket = await connectRaw(daemon.socket)
  const f = frames(socket)
  tells.forEach(([agent, message], i) => request(socket, { id: i + 1, op: "tell", agent, message }))
  await f.next(() => f.received.length >= tells.length, 10_000)
  socket.destroy()
  return f.received
}

const ledger = async (daemon: Daemon) =>
  (await cli(["audit", "tail", "--json", "-n", "200", "--state-dir", `${daemon.dir}/state`])).stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as { action: string; detail: Record<string, unknown> })

describe("a running daemon with test faults", () => {
  it("an ask whose handling crashes the agent is answered AgentCrashed at once, not at the ask timeout", async () => {
    const daemon = await startDaemon()
    try {
      const startedAt = Date.now()
      const crashed = await on(daemon, ["ask", "CIPHER", '{"type":"sv.fault"}', "--timeout", "5000"])
      const tookMs = Date.now() - startedAt
      expect([crashed.code, crashed.stderr]).toEqual([4, "sigmavault: agent CIPHER crashed: fault injected into CIPHER for testing\n"])
      expect(tookMs).toBeLessThan(2_500) // the ask timeout is 5 s; the CLI's own start is most of this
      const json = await on(daemon, ["ask", "CIPHER", '{"type":"sv.fault"}', "--json"])
      expect(JSON.parse(json.stdout).error.code).toBe("AgentCrashed")
      await expect.poll(async () => (await agentStatus(daemon, "CIPHER")).restarts, { timeout: 5_000 }).toBe(2)
    } finally {
      daemon.process.kill("SIGTERM")
      await daemon.exited
    }
  })

  it("restart of a stalled agent is prompt, counts one restart and records one restart in the ledger", async () => {
    const daemon = await startDaemon()
    try {
      expect((await on(daemon, ["tell", "ORBIT", '{"type":"sv.stall","ms":60000}'])).code).toBe(0)
      const before = await agentStatus(daemon, "ORBIT")
      const startedAt = Date.now()
      const restarted = await on(daemon, ["restart", "ORBIT"])
      const tookMs = Date.now() - startedAt
      expect([restarted.code, restarted.stdout]).toEqual([0, "ORBIT restarted\n"])
      expect(tookMs).toBeLessThan(2_500) // it used to wait out the 5 s shutdown timeout
      // Two round trips through the new incarnation: a stop request left from the stalled one would have stopped it by now.
      for (let i = 0; i < 2; i++) expect((await on(daemon, ["ask", "ORBIT", '{"type":"ping"}'])).code).toBe(0)
      const after = await agentStatus(daemon, "ORBIT")
      expect([after.restarts - before.restarts, after.incarnation - before.incarnation, after.lifecycle]).toEqual([1, 1, "running"])
      await expect.poll(async () => (await ledger(daemon)).filter((e) => e.action === "agent.restarted" && e.detail.agent === "ORBIT").length, {
        timeout: 5_000
      }).toBe(1)
      expect((await ledger(daemon)).filter((e) => e.action === "operator.restart" && e.detail.agent === "ORBIT")).toHaveLength(1)
      expect((await statusOf(daemon)).summary.escalations).toEqual([])
    } finally {
      daemon.process.kill("SIGTERM")
      await daemon.exited
    }
  })

  it("a fault told while the agent restarts reaches its next incarnation; told to a stopped agent it is refused", async () => {
    const daemon = await startDaemon()
    try {
      // The second fault arrives while the first is crashing the agent or it is restarting: both must take effect.
      const accepted = await tellAll(daemon, [["SENTRY", { type: "sv.fault" }], ["SENTRY", { type: "sv.fault" }]])
      expect(accepted.map((frame) => frame.ok)).toEqual([true, true])
      await expect.poll(async () => (await agentStatus(daemon, "SENTRY")).restarts, { timeout: 5_000 }).toBe(2)
      expect((await agentStatus(daemon, "SENTRY")).lastError).toBe("fault injected into SENTRY for testing")

      expect((await on(daemon, ["stop", "VERTEX"])).code).toBe(0)
      const refused = await on(daemon, ["tell", "VERTEX", '{"type":"sv.fault"}'])
      expect([refused.code, refused.stderr]).toEqual([4, "sigmavault: agent VERTEX is stopped and cannot receive messages\n"])
      expect((await on(daemon, ["start", "VERTEX"])).code).toBe(0)
      expect((await agentStatus(daemon, "VERTEX")).restarts).toBe(0)
    } finally {
      daemon.process.kill("SIGTERM")
      await daemon.exited
    }
  })

  it("an agent failing each time it comes back escalates from its tier, though backoff spreads its restarts beyond any window", async () => {
    const daemon = await startDaemon()
    try {
      // Nine faults queue up; each incarnation takes one as it starts and crashes, backing off 0.2 s, 0.4 s, … 12.8 s.
      await tellAll(daemon, Array.from({ length: 9 }, () => ["VERTEX", { type: "sv.fault" }] as const))
      await expect.poll(async () => (await statusOf(daemon)).summary.escalations, { timeout: 45_000, interval: 500 }).toEqual([
        "supervisor tier-5-8 gave up: VERTEX failed again after 8 restarts in a row without once running 60000 ms"
      ])
      // The root restarted the tier with fresh agents; the daemon runs on.
      await expect.poll(async () => (await agentStatus(daemon, "VERTEX")).lifecycle, { timeout: 5_000 }).toBe("running")
      expect((await on(daemon, ["ask", "VERTEX", '{"type":"ping"}'])).code).toBe(0)
      const tree = JSON.parse((await on(daemon, ["agents", "--json"])).stdout)
      const tier = tree.children.find((child: { status: { name: string } }) => child.status.name === "tier-5-8")
      expect(tier.status.intensity).toEqual({ maxRestarts: 10, withinMs: 60_000, maxRestartsInARow: 8 })
      expect(tier.status.restarts).toBe(1)
    } finally {
      daemon.process.kill("SIGTERM")
      await daemon.exited
    }
  }, 90_000)
})

describe("a graceful stop", () => {
  it("keeps its deadline with all 40 agents stalled: they are interrupted together, and the daemon exits 0", async () => {
    const daemon = await startDaemon({ args: ["--shutdown-deadline", "1000"] })
    const accepted = await tellAll(daemon, AGENTS.map((agent) => [agent, { type: "sv.stall", ms: 60_000 }] as const))
    expect(accepted.every((frame) => frame.ok === true)).toBe(true)
    const stoppedAt = Date.now()
    daemon.process.kill("SIGTERM")
    expect(await daemon.exited).toBe(0)
    const tookMs = Date.now() - stoppedAt
    expect(tookMs).toBeLessThan(1_000 + 3_000) // the deadline plus a grace period, not 40 shutdown timeouts in a row
    const last = /sigmavault stopped in (\d+) ms.*; interrupted mid-message at the deadline: (.*)/.exec(daemon.log())
    expect(last, daemon.log()).not.toBeNull()
    expect(new Set(last![2]!.trim().split(", "))).toEqual(new Set(AGENTS))
    expect(daemon.log()).not.toMatch(/did not stop even when interrupted/)
  })
})
