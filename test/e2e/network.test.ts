/**
 * PHOTON in the compiled binary: the daemon runs inside a network namespace
 * of this test's own (`ip netns exec`, which also mounts that namespace's
 * /sys), holding a veth pair; a user asks for its links with
 * `sigmavault ask PHOTON …` and sees a link go down as an alert. Runs as root;
 * needs `ip` (iproute2).
 */
import { execFileSync } from "node:child_process"
import { existsSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { cli, type Daemon, startDaemon } from "./harness.ts"

const ns = `photon-e2e-${process.pid}`
const [left, right] = [`el${process.pid}`, `er${process.pid}`]

const ipPath = () => {
  for (const path of ["/usr/sbin/ip", "/usr/bin/ip", "/sbin/ip", "/bin/ip"]) if (existsSync(path)) return path
  throw new Error("'ip' is missing: this test needs it (Debian package iproute2)")
}
const ip = (...args: ReadonlyArray<string>) => execFileSync(ipPath(), args, { encoding: "utf8", timeout: 20_000 })

let daemon: Daemon | undefined

const ask = async (message: unknown) => {
  const result = await cli(["ask", "PHOTON", JSON.stringify(message), "--json", "--socket", daemon!.socket])
  return { ...result, json: result.code === 0 ? JSON.parse(result.stdout) : undefined }
}

/** Asks until the answer satisfies `check`; the deadline only guards against a hang. */
const until = async (message: unknown, check: (json: any) => boolean) => {
  const deadline = Date.now() + 20_000
  for (;;) {
    const answer = await ask(message)
    if (answer.code === 0 && check(answer.json)) return answer.json
    if (Date.now() > deadline) throw new Error(`no such answer to ${JSON.stringify(message)}: ${answer.stdout}${answer.stderr}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

beforeAll(async () => {
  try {
    ip("netns", "add", ns)
    ip("-n", ns, "link", "add", left, "type", "veth", "peer", "name", right)
    ip("-n", ns, "link", "set", left, "up")
    ip("-n", ns, "link", "set", right, "up")
    const dir = mkdtempSync(join(tmpdir(), "sigmavault-e2e-photon-"))
    const config = join(dir, "photon.conf")
    writeFileSync(config, `file_roots = ${realpathSync(tmpdir())}\nlink_sample_interval_seconds = 1\nlink_error_burst = 5\n`)
    daemon = await startDaemon({ dir, args: ["--config", config], wrap: [ipPath(), "netns", "exec", ns] })
  } catch (error) {
    cleanUp()
    throw error
  }
})

const cleanUp = () => {
  if (daemon?.process.pid !== undefined && daemon.process.exitCode === null) daemon.process.kill("SIGKILL")
  try {
    ip("netns", "del", ns)
  } catch {
    // not created
  }
}

afterAll(async () => {
  if (daemon !== undefined && daemon.process.exitCode === null) {
    daemon.process.kill("SIGTERM")
    await daemon.exited
  }
  cleanUp()
})

describe("sigmavault ask PHOTON", () => {
  it("lists the namespace's links with their state, speed and rates", async () => {
    const reply = await until({ type: "interfaces" }, (json) => json.interfaces.every((i: any) => i.rates !== null))
    expect(reply.intervalMs).toBe(1000)
    expect(reply.interfaces.map((i: any) => i.name)).toEqual([left, right, "lo"])
    const link = reply.interfaces[0]
    expect([link.condition, link.operstate, link.carrier, link.virtual, link.type, link.speedMbps]).toEqual(["up", "up", true, true, 1, 10000])
    expect(link.rates.intervalMs).toBeGreaterThan(0)
    expect(typeof link.counters.rxBytes).toBe("number")
  })

  it("a human reading shows the same, and an unknown or hostile name is refused naming the field or the links", async () => {
    const text = await cli(["ask", "PHOTON", '{"type":"interface","name":"lo"}', "--socket", daemon!.socket])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toContain("lo")
    const unknown = await cli(["ask", "PHOTON", '{"type":"interface","name":"eth9"}', "--socket", daemon!.socket])
    expect(unknown.code).not.toBe(0)
    expect(unknown.stderr).toContain(`no network interface named 'eth9'; the interfaces are ${left}, ${right}, lo`)
    const hostile = await cli(["ask", "PHOTON", '{"type":"interface","name":"../../etc/passwd"}', "--socket", daemon!.socket])
    expect(hostile.code).not.toBe(0)
    expect(hostile.stderr).toContain(`invalid message for PHOTON: 'interface': Expected a network interface name, e.g. eth0 or enp3s0 at ["name"]`)
  })

  it("a link going down is an alert until it is back; the settings come from the file", async () => {
    ip("-n", ns, "link", "set", right, "down")
    const raised = await until({ type: "alerts" }, (json) => json.active.some((a: any) => a.interface === left && a.kind === "down"))
    expect(raised.settings).toEqual({ intervalMs: 1000, errorBurst: 5, flapChanges: 6, flapWindowMs: 300_000 })
    // The one set down is an administrator's doing; its peer lost the carrier.
    expect(raised.active.map((a: any) => `${a.interface} ${a.kind}`).sort()).toEqual([`${left} down`, `${right} down`])
    expect(raised.active.find((a: any) => a.interface === left).text).toMatch(/is down: no carrier/)
    ip("-n", ns, "link", "set", right, "up")
    const cleared = await until({ type: "alerts" }, (json) => json.active.length === 0)
    expect(cleared.history.map((t: any) => `${t.interface} ${t.kind} ${t.change}`)).toEqual(expect.arrayContaining([
      `${left} down raised`,
      `${left} down cleared`
    ]))
    expect(daemon!.log()).toMatch(new RegExp(`${left} is down: no carrier`))
  })
})
