/**
 * The control socket under clients that are careless or hostile, against the
 * compiled binary: every buffer has a limit however the bytes arrive, slow
 * senders are cut off, idle connections closed, descriptors never run out,
 * and strange msgpack is refused. Each test asserts a bound on the daemon's
 * memory (RSS growth) and that a legitimate client is still served.
 */
import { spawn, spawnSync } from "node:child_process"
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import type * as net from "node:net"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { encodeFrame } from "../../src/protocol/Frame.ts"
import { cli, connectRaw, type Daemon, frames, request, startDaemon } from "./harness.ts"

const MiB = 1024
/** CPU seconds the process has used (utime + stime from /proc/PID/stat). */
const cpuSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  return (Number(fields[11]) + Number(fields[12])) / 100
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const openFds = (pid: number) => spawnSync("ls", [`/proc/${pid}/fd`], { encoding: "utf8" }).stdout.split("\n").filter(Boolean).length

const ping = async (daemon: Daemon) => (await cli(["ask", "CORE", '{"type":"ping"}', "--socket", daemon.socket, "--timeout", "5000"])).code

describe("bounded under hostile clients", () => {
  let daemon: Daemon
  beforeAll(async () => {
    daemon = await startDaemon()
  })
  afterAll(async () => {
    daemon?.process.kill("SIGTERM")
    await daemon?.exited
  })

  it("10,000 requests in one write, never read, on 4 connections: replies stay bounded, reading pauses", async () => {
    const rssBefore = daemon.rssKb()
    const burst = Buffer.concat(Array.from({ length: 10_000 }, (_, id) => encodeFrame({ id, op: "agents" })))
    const hostile: Array<net.Socket> = []
    for (let i = 0; i < 4; i++) {
      const socket = await connectRaw(daemon.socket)
      socket.pause() // never read
      socket.write(burst)
      hostile.push(socket)
    }
    await sleep(3_000)
    expect(daemon.rssKb() - rssBefore).toBeLessThan(128 * MiB)
    expect(await ping(daemon)).toBe(0)
    hostile.forEach((s) => s.destroy())
  }, 20_000)

  it("one connection's events are bounded over all its subscriptions, and subscriptions are capped", async () => {
    const slow = await connectRaw(daemon.socket)
    const s = frames(slow)
    for (let id = 1; id <= 40; id++) request(slow, { id, op: "subscribe" })
    const refused = await s.next((f) => f.ok === false && f.error?.code === "TooManySubscriptions")
    expect(refused.error.message).toMatch(/already has 32 subscriptions/)
    expect(s.received.filter((f) => f.ok === true && typeof f.result?.subscription === "number")).toHaveLength(32)
    slow.pause()
    const rssBefore = daemon.rssKb()
    const flood = await connectRaw(daemon.socket)
    const f = frames(flood)
    const total = 5_000
    for (let id = 1; id <= total; id++) request(flood, { id, op: "tell", agent: "ORBIT", message: { type: "list" } })
    await f.next(() => f.received.length >= total, 30_000)
    expect(daemon.rssKb() - rssBefore).toBeLessThan(64 * MiB)
    slow.destroy()
    flood.destroy()
  }, 40_000)

  it("unfinished frames: a byte-at-a-time sender is cut off 10 s after its frame began, and all of them together hold a bounded number of bytes", async () => {
    const rssBefore = daemon.rssKb()
    // 100 connections, each half of a 1 MiB frame: far beyond the daemon's budget for unfinished frames.
    const half = Buffer.alloc(4 + 512 * 1024)
    half.writeUInt32BE(1024 * 1024 - 16, 0)
    const heavy = await Promise.all(Array.from({ length: 100 }, () => connectRaw(daemon.socket)))
    const heavyFrames = heavy.map((socket) => frames(socket))
    const started = Date.now()
    heavy.forEach((socket) => {
      // Cut off while still writing, a client may see EPIPE before it reads the refusal.
      socket.on("error", () => {})
      socket.write(half)
    })
    await Promise.all(heavyFrames.map((f) => f.closed))
    // Those beyond the budget at once; the others when their frame has waited 10 s.
    expect(Date.now() - started).toBeLessThan(13_000)
    const codes = heavyFrames.map((f) => f.received.find((r) => r.ok === false)?.error.code as string | undefined)
    expect(codes.filter((code) => code === "FrameBudgetExceeded").length).toBeGreaterThan(20)
    expect(codes.filter((code) => code === "IncompleteFrame").length).toBeGreaterThan(20)
    expect(daemon.rssKb() - rssBefore).toBeLessThan(160 * MiB)

    const trickler = await connectRaw(daemon.socket)
    const t = frames(trickler)
    const dripStarted = Date.now()
    const header = Buffer.alloc(4)
    header.writeUInt32BE(100, 0)
    trickler.write(header)
    const drip = setInterval(() => trickler.writable && trickler.write(Buffer.from([0x01])), 1_000)
    const refusal = await t.next((r) => r.ok === false, 20_000)
    clearInterval(drip)
    expect(refusal.error.code).toBe("IncompleteFrame")
    expect(Date.now() - dripStarted).toBeLessThan(13_000)
    expect(await ping(daemon)).toBe(0)
  }, 40_000)

  it("msgpack other libraries would read differently is refused as BadFrame, and the connection stays open", async () => {
    const socket = await connectRaw(daemon.socket)
    const f = frames(socket)
    const raw = (body: ReadonlyArray<number>) => {
      const frame = Buffer.alloc(4 + body.length)
      frame.writeUInt32BE(body.length, 0)
      Buffer.from(body).copy(frame, 4)
      socket.write(frame)
    }
    const str = (text: string) => [0xa0 | text.length, ...Buffer.from(text)]
    raw([0x82, ...str("id"), 0x01, ...str("op"), 0xd6, 0xff, 0, 0, 0, 1]) // a timestamp extension
    raw([0x82, 0x01, 0x01, ...str("op"), ...str("agents")]) // an integer key
    raw([0x83, ...str("id"), 0x01, ...str("id"), 0x02, ...str("op"), ...str("agents")]) // "id" twice
    raw([0xc1])
    const refusals = await f.next(() => f.received.length >= 4).then(() => f.received.map((r) => [r.error?.code, r.error?.message]))
    expect(refusals.map(([code]) => code)).toEqual(["BadFrame", "BadFrame", "BadFrame", "BadFrame"])
    expect(refusals.map(([, message]) => message)).toEqual([
      expect.stringMatching(/an extension type \(0xd6\)/),
      expect.stringMatching(/a map key at byte 1 is not a string/),
      'not one plain msgpack value: the key "id" appears twice in one map',
      "not one plain msgpack value: byte 0xc1 at 0 is never used in msgpack"
    ])
    request(socket, { id: 9, op: "agents" })
    expect((await f.next((r) => r.id === 9)).ok).toBe(true)
    socket.destroy()
  })
})

/** Opens `count` connections to `socket` as nobody, holds them `holdMs`, and prints how many opened and how many were turned away. */
const FLOODER = `
import net from "node:net"
const [socket, count, holdMs] = process.argv.slice(2)
let opened = 0, turnedAway = 0, failed = 0
const sockets = []
await Promise.all(Array.from({ length: Number(count) }, () => new Promise((resolve) => {
  const s = net.createConnection(socket)
  s.on("error", () => { failed++; resolve() })
  s.on("connect", () => { opened++; sockets.push(s); resolve() })
  s.on("data", (d) => { if (d.includes("TooManyConnections")) turnedAway++ })
})))
console.log(JSON.stringify({ opened, failed }))
await new Promise((r) => setTimeout(r, Number(holdMs)))
console.log(JSON.stringify({ turnedAway }))
sockets.forEach((s) => s.destroy())
`

describe("connections and descriptors", () => {
  let daemon: Daemon
  let dir = ""
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "sigmavault-e2e-limits-"))
    chmodSync(dir, 0o755)
    writeFileSync(join(dir, "flood.mjs"), FLOODER, { mode: 0o644 })
    // nobody may connect (the socket's group) but holds no role: a stranger's flood.
    writeFileSync(join(dir, "limits.conf"), "socket_group = 65534\nsocket_mode = 0660\n")
    daemon = await startDaemon({ dir, args: ["--config", join(dir, "limits.conf")], wrap: ["prlimit", "--nofile=1024:1024", "--"] })
    chmodSync(join(dir, "run"), 0o755)
  })
  afterAll(async () => {
    daemon?.process.kill("SIGTERM")
    await daemon?.exited
  })

  it.skipIf(process.getuid?.() !== 0)("under ulimit -n 1024 the daemon serves fewer connections than configured, says so, never spins, and keeps room for its agents and an administrator", async () => {
    expect(daemon.log()).toMatch(/serving at most 768 connections, not max_connections 4096: the open-file limit is 1024/)
    const cpuBefore = cpuSeconds(daemon.process.pid!)
    const flood = spawn("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", process.execPath, join(dir, "flood.mjs"), daemon.socket, "1500", "5000"])
    let out = ""
    flood.stdout.on("data", (d) => (out += d))
    while (!out.includes("opened")) await sleep(100)
    await sleep(500)
    expect(openFds(daemon.process.pid!)).toBeLessThan(1_000)
    // The agents still open files and run tools; root (this test) still gets in, in a reserved slot.
    const sample = await cli(["ask", "SENTRY", '{"type":"sample"}', "--socket", daemon.socket])
    expect(sample.code, sample.stderr).toBe(0)
    expect(await ping(daemon)).toBe(0)
    await new Promise((resolve) => flood.on("close", resolve))
    const [opened, turned] = out.trim().split("\n").map((line) => JSON.parse(line))
    expect(opened.opened + opened.failed).toBe(1_500)
    expect(turned.turnedAway).toBeGreaterThan(0)
    // Spinning on accept would burn a core: a few seconds of CPU at most over these seconds.
    expect(cpuSeconds(daemon.process.pid!) - cpuBefore).toBeLessThan(4)
    expect(await ping(daemon)).toBe(0)
  }, 30_000)
})

describe("idle connections", () => {
  let daemon: Daemon
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "sigmavault-e2e-idle-"))
    writeFileSync(join(dir, "idle.conf"), `client_idle_timeout_seconds = 2\nfile_roots = ${dir}\n`)
    daemon = await startDaemon({ dir, args: ["--config", join(dir, "idle.conf")] })
  })
  afterAll(async () => {
    daemon?.process.kill("SIGTERM")
    await daemon?.exited
  })
  it("an idle connection is closed after client_idle_timeout_seconds, with IdleTimeout", async () => {
    const idle = await connectRaw(daemon.socket)
    const f = frames(idle)
    const started = Date.now()
    const closing = await f.next((r) => r.ok === false, 10_000)
    expect(closing.error.code).toBe("IdleTimeout")
    await f.closed
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900)
    // A subscriber is not idle: it is waiting for events.
    const listener = await connectRaw(daemon.socket)
    const l = frames(listener)
    request(listener, { id: 1, op: "subscribe", types: ["restarted"] })
    await l.next((r) => r.id === 1)
    await sleep(4_000)
    expect(listener.destroyed).toBe(false)
    listener.destroy()
  }, 20_000)
})
