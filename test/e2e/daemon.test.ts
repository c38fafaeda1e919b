/**
 * The compiled binary, driven the way an administrator and scripts use it:
 * the CLI against a running daemon, raw frames on the socket, and signals.
 */
import { existsSync, mkdtempSync, statSync, writeFileSync } from "node:fs"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { cli, connectRaw, type Daemon, frames, request, startDaemon } from "./harness.ts"

describe("a running daemon", () => {
  let daemon: Daemon
  const on = (args: ReadonlyArray<string>) => cli([...args, "--socket", daemon.socket])

  beforeAll(async () => {
    daemon = await startDaemon()
  })
  afterAll(async () => {
    daemon.process.kill("SIGTERM")
    await daemon.exited
  })

  it("agents lists the 40 agents under OMNISCIENT, as a table and as JSON", async () => {
    const table = await on(["agents"])
    expect(table.code).toBe(0)
    expect(table.stdout.split("\n")[1]).toMatch(/^OMNISCIENT\s+running/)
    expect(table.stdout).toMatch(/├─ tier-1/)
    // Which agents do real work is visible at a glance.
    expect(table.stdout).toMatch(/├─ APEX\s+1\s+running/)
    expect(table.stdout).toMatch(/├─ CORE\s+2\s+running/)
    // ATLAS got its last planned capability (trends) with issue 19: no agent is partial any more.
    expect(table.stdout).toMatch(/├─ ATLAS\s+2\s+running/)
    expect(table.stdout).not.toMatch(/├─ [A-Z]+\s+\S+\s+partial\s/)
    const json = await on(["agents", "--json"])
    const tree = JSON.parse(json.stdout)
    const agents: Array<string> = []
    const walk = (node: any) => (node.kind === "agent" ? agents.push(node.status.name) : node.children.forEach(walk))
    walk(tree)
    expect(tree.status.name).toBe("OMNISCIENT")
    expect(agents).toHaveLength(40)
    expect(new Set(agents).size).toBe(40)
  })

  it("ask CORE returns this machine's facts", async () => {
    const result = await on(["ask", "CORE", '{"type":"facts"}', "--json"])
    expect(result.code).toBe(0)
    const facts = JSON.parse(result.stdout)
    expect(facts.hostname).toBe(hostname())
    expect(facts.cpu.count).toBeGreaterThan(0)
  })

  it("a refusal names the agent, the message and the reason; --json carries the typed rejection", async () => {
    const refused = await on(["ask", "ORBIT", '{"type":"remove","name":"nope"}'])
    expect(refused.code).toBe(4)
    expect(refused.stderr).toBe("sigmavault: ORBIT 'remove': no schedule named 'nope'; schedules: eclipse-self-check\n")
    const json = await on(["ask", "ORBIT", '{"type":"remove","name":"nope"}', "--json"])
    expect(JSON.parse(json.stdout).error).toEqual({
      code: "Rejected",
      message: "ORBIT 'remove': no schedule named 'nope'; schedules: eclipse-self-check",
      detail: {
        agent: "ORBIT",
        messageType: "remove",
        reason: "no schedule named 'nope'; schedules: eclipse-self-check",
        rejection: { _tag: "NoSuchSchedule", name: "nope", known: ["eclipse-self-check"] }
      }
    })
  })

  it("SYNAPSE reports the control socket and its connections", async () => {
    const result = await on(["ask", "SYNAPSE", '{"type":"endpoints"}', "--json"])
    expect(JSON.parse(result.stdout)).toEqual([
      expect.objectContaining({ kind: "control-socket", address: daemon.socket, connections: expect.any(Number) })
    ])
  })

  it("tell to an unknown agent fails with exit code 4 and says which agents exist", async () => {
    const result = await on(["tell", "NOSUCH", '{"type":"ping"}'])
    expect(result.code).toBe(4)
    expect(result.stderr).toMatch(/unknown agent 'NOSUCH'; known agents: OMNISCIENT, APEX/)
  })

  it("a message the agent's schema refuses fails with exit code 4 naming the problem", async () => {
    const result = await on(["ask", "ORBIT", '{"type":"remove","name":42}'])
    expect(result.code).toBe(4)
    expect(result.stderr).toMatch(/invalid message for ORBIT: 'remove': Expected string/)
  })

  it("an ask the agent cannot answer in time fails with exit code 5", async () => {
    expect((await on(["tell", "VERTEX", '{"type":"sv.stall","ms":1000}'])).code).toBe(0)
    const result = await on(["ask", "VERTEX", '{"type":"ping"}', "--timeout", "100"])
    expect(result.code).toBe(5)
    expect(result.stderr).toMatch(/VERTEX did not answer 'ping' within 100 ms/)
  })

  it("restart, stop and start an agent from the command line", async () => {
    const restartedCore = await on(["restart", "CORE"])
    expect([restartedCore.code, restartedCore.stdout]).toEqual([0, "CORE restarted\n"])
    expect((await on(["stop", "ORBIT"])).stdout).toBe("ORBIT stopped\n")
    const refused = await on(["ask", "ORBIT", '{"type":"list"}'])
    expect(refused.code).toBe(4)
    expect(refused.stderr).toMatch(/ORBIT/)
    const again = await on(["stop", "ORBIT"])
    expect([again.code, again.stderr.trim()]).toEqual([4, "sigmavault: cannot stop ORBIT: ORBIT is already stopped"])
    expect((await on(["start", "ORBIT"])).code).toBe(0)
    expect((await on(["ask", "ORBIT", '{"type":"list"}'])).code).toBe(0)
    const unknown = await on(["restart", "NOPE"])
    expect([unknown.code, unknown.stderr]).toEqual([4, expect.stringMatching(/unknown agent 'NOPE'/)])
  })

  it("an injected crash shows up as a restarted event", async () => {
    const events = cli(["events", "--json", "--type", "restarted", "--agent", "SENTRY", "--socket", daemon.socket])
    // The subscription is in place once the daemon counts the extra connection.
    await expect.poll(async () => JSON.parse((await on(["status", "--json"])).stdout).connections, { timeout: 5_000 })
      .toBeGreaterThanOrEqual(2)
    expect((await on(["tell", "SENTRY", '{"type":"sv.fault"}'])).code).toBe(0)
    const seen = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no restarted event within 5 s")), 5_000)
      const poll = setInterval(async () => {
        const status = JSON.parse((await on(["status", "--json"])).stdout)
        const sentry = status.agents.find((a: any) => a.name === "SENTRY")
        if (sentry.restarts >= 1) {
          clearTimeout(timer)
          clearInterval(poll)
          resolve(sentry.lastError)
        }
      }, 100)
    })
    expect(seen).toBe("fault injected into SENTRY for testing")
    const output = await Promise.race([events, new Promise<null>((r) => setTimeout(() => r(null), 300))])
    expect(output).toBeNull() // still streaming
  })

  it("garbage, lying and oversized frames get error replies; the daemon keeps answering", async () => {
    const garbage = await connectRaw(daemon.socket)
    const g = frames(garbage)
    garbage.write(Buffer.from([0, 0, 0, 2, 0x92, 0x01])) // a well-framed body that is truncated msgpack
    expect(await g.next((f) => f.ok === false)).toMatchObject({ id: null, error: { code: "BadFrame" } })
    request(garbage, "hello") // msgpack, but not a request
    expect(await g.next((f) => f.error?.code === "BadRequest")).toMatchObject({ id: null })
    request(garbage, { id: 5, op: "launch" })
    expect(await g.next((f) => f.id === 5)).toMatchObject({ ok: false, error: { message: /unknown op 'launch'/ } })
    request(garbage, { id: 6, op: "ask", agent: "CORE", message: { type: "ping" } })
    expect(await g.next((f) => f.id === 6)).toMatchObject({ ok: true, result: { type: "pong", agent: "CORE" } })

    const oversized = await connectRaw(daemon.socket)
    const o = frames(oversized)
    const header = Buffer.alloc(4)
    header.writeUInt32BE(64 * 1024 * 1024)
    oversized.write(header)
    expect(await o.next((f) => f.ok === false)).toMatchObject({ error: { code: "FrameTooLarge" } })
    await o.closed

    const ok = await on(["ask", "CORE", '{"type":"ping"}', "--json"])
    expect(JSON.parse(ok.stdout)).toMatchObject({ type: "pong", agent: "CORE" })
    garbage.destroy()
  })

  it("pipelined requests on one connection are all answered, matched by id", async () => {
    const socket = await connectRaw(daemon.socket)
    const f = frames(socket)
    for (let id = 1; id <= 200; id++) {
      request(socket, { id, op: "ask", agent: id % 2 === 0 ? "CORE" : "ORBIT", message: { type: "ping" } })
    }
    await f.next(() => f.received.length >= 200)
    expect(f.received.map((r) => r.id).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
    expect(f.received.every((r) => r.ok === true)).toBe(true)
    socket.destroy()
  })

  it("a subscriber that does not read loses events, is told how many, and the daemon does not grow", async () => {
    const slow = await connectRaw(daemon.socket)
    const s = frames(slow)
    request(slow, { id: 1, op: "subscribe", types: ["messagehandled"] })
    await s.next((f) => f.id === 1 && f.ok === true)
    slow.pause() // stop reading: the kernel buffer fills, then the daemon's budget
    const rssBefore = daemon.rssKb()
    const flood = await connectRaw(daemon.socket)
    const f = frames(flood)
    const total = 30_000
    for (let id = 1; id <= total; id++) request(flood, { id, op: "tell", agent: "ORBIT", message: { type: "list" } })
    await f.next(() => f.received.length >= total, 30_000)
    expect(daemon.rssKb() - rssBefore).toBeLessThan(64 * 1024)
    slow.resume()
    const lost = await s.next((frame) => typeof frame.lost === "number", 10_000)
    expect(lost.lost).toBeGreaterThan(0)
    const ok = await cli(["ask", "CORE", '{"type":"ping"}', "--socket", daemon.socket])
    expect(ok.code).toBe(0)
    slow.destroy()
    flood.destroy()
  })

  it("holds 1,000 connections open with requests flowing on each", async () => {
    // In batches: a Unix socket's listen backlog refuses (EAGAIN) rather than queues a thousand at once.
    const sockets: Array<Awaited<ReturnType<typeof connectRaw>>> = []
    for (let batch = 0; batch < 10; batch++) {
      sockets.push(...(await Promise.all(Array.from({ length: 100 }, () => connectRaw(daemon.socket)))))
    }
    const replies = sockets.map((socket, i) => {
      const f = frames(socket)
      request(socket, { id: i, op: "ask", agent: "CORE", message: { type: "ping" } })
      return f.next((r) => r.id === i, 20_000)
    })
    const answered = await Promise.all(replies)
    expect(answered.filter((r) => r.ok === true)).toHaveLength(1_000)
    sockets.forEach((s) => s.destroy())
  })
})

describe("client commands without a daemon", () => {
  it("exit 3 and say how to start one", async () => {
    const result = await cli(["status", "--socket", "/tmp/sigmavault-no-such.sock"])
    expect(result.code).toBe(3)
    expect(result.stderr).toMatch(/no sigmavault daemon answers on \/tmp\/sigmavault-no-such\.sock.*sigmavault run/)
  })

  it("usage errors exit 2; every command has --help", async () => {
    expect((await cli(["frobnicate"])).code).toBe(2)
    expect((await cli(["ask", "CORE"])).stderr).toMatch(/ask needs AGENT JSON/)
    for (const command of ["run", "agents", "tell", "ask", "events", "status", "selftest"]) {
      const help = await cli([command, "--help"])
      expect(help.code).toBe(0)
      expect(help.stdout).toMatch(new RegExp(`^Usage: sigmavault ${command}`))
    }
    expect((await cli(["--version"])).stdout).toMatch(/^sigmavault \d+\.\d+\.\d+ \(([0-9a-f]{7,}(-dirty)?|unknown)\)\n$/)
  })
})

describe("configuration", () => {
  it("a config file with a mistake stops the start, naming file, line and key", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sigmavault-conf-"))
    const file = join(dir, "sigmavault.conf")
    writeFileSync(file, "# test\nlog_level = info\nsocket_mod = 0640\n")
    const result = await cli(["run", "--config", file, "--socket", join(dir, "s.sock"), "--state-dir", dir])
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(`sigmavault: ${file}:3: socket_mod: unknown key; did you mean 'socket_mode'?\n`)
    expect(existsSync(join(dir, "s.sock"))).toBe(false)
  })

  it("settings from the config file apply: the socket gets the configured mode", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sigmavault-conf-"))
    writeFileSync(join(dir, "sigmavault.conf"), "socket_mode = 0600  # owner only\nask_timeout_ms = 2500\n")
    const daemon = await startDaemon({ dir, args: ["--config", join(dir, "sigmavault.conf")] })
    expect(statSync(daemon.socket).mode & 0o777).toBe(0o600)
    daemon.process.kill("SIGTERM")
    expect(await daemon.exited).toBe(0)
  })

  it("the agents' settings from the config file apply: SENTRY's sampling and alert levels, ORBIT's zone and schedules", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sigmavault-conf-"))
    const file = join(dir, "sigmavault.conf")
    writeFileSync(file, [
      "resource_check_interval_seconds = 2",
      "cpu_alert_percent = 50,40",
      "resource_alert_samples = 4",
      "time_zone = UTC",
      `schedule.weekly-smart = "0 4 * * sun ORACLE assess"`
    ].join("\n"))
    const daemon = await startDaemon({ dir, args: ["--config", file] })
    const ask = async (agent: string, message: string) => {
      const result = await cli(["ask", agent, message, "--json", "--socket", daemon.socket])
      expect(result.code, result.stderr).toBe(0)
      return JSON.parse(result.stdout)
    }
    const sentry = await ask("SENTRY", '{"type":"thresholds"}')
    expect(sentry.intervalMs).toBe(2000)
    expect(sentry.thresholds.cpu).toEqual({ raiseAt: 50, clearAt: 40, forSamples: 4 })
    const orbit = await ask("ORBIT", '{"type":"list"}')
    expect(orbit.timeZone).toBe("UTC")
    expect(orbit.schedules.map((schedule: { name: string }) => schedule.name)).toEqual(["eclipse-self-check", "weekly-smart"])
    daemon.process.kill("SIGTERM")
    expect(await daemon.exited).toBe(0)
  })

  it("a schedule its agent would refuse stops the start, naming the line, the schedule and the agent's reason", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sigmavault-conf-"))
    const file = join(dir, "sigmavault.conf")
    writeFileSync(file, `schedule.weekly-smart = "0 4 * * sun ORACLE asses"\n`)
    const result = await cli(["run", "--config", file, "--socket", join(dir, "s.sock"), "--state-dir", dir])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(new RegExp(`^sigmavault: ${file}:1: schedule\\.weekly-smart: invalid message for ORACLE: unknown message type 'asses'`))
    expect(existsSync(join(dir, "s.sock"))).toBe(false)
  })

  it("a bad flag value is a usage error naming the flag", async () => {
    const result = await cli(["run", "--log-level", "loud"])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^sigmavault: --log-level 'loud': /)
  })
})

describe("lifecycle", () => {
  it("SIGTERM stops cleanly within the deadline: exit 0, socket gone", async () => {
    const daemon = await startDaemon({ args: ["--shutdown-deadline", "2000"] })
    const stoppedAt = Date.now()
    daemon.process.kill("SIGTERM")
    expect(await daemon.exited).toBe(0)
    expect(Date.now() - stoppedAt).toBeLessThan(2_000 + 1_000)
    expect(existsSync(daemon.socket)).toBe(false)
    expect(daemon.log()).toMatch(/sigmavault stopped in \d+ ms/)
  })

  it("a second daemon on the same socket is refused; after SIGKILL a restart takes over the stale socket", async () => {
    const first = await startDaemon()
    const second = await cli(["run", "--socket", first.socket, "--state-dir", `${first.dir}/state2`, "--runtime-dir", `${first.dir}/run`])
    expect(second.code).toBe(1)
    expect(second.stderr + second.stdout).toMatch(/another sigmavault daemon is already listening here/)

    first.process.kill("SIGKILL")
    await first.exited
    expect(existsSync(first.socket)).toBe(true) // left behind by the crash
    const restarted = await startDaemon({ dir: first.dir })
    expect(restarted.log()).toMatch(/removing stale control socket/)
    expect((await cli(["ask", "CORE", '{"type":"ping"}', "--socket", restarted.socket])).code).toBe(0)
    restarted.process.kill("SIGTERM")
    expect(await restarted.exited).toBe(0)
  })
})
