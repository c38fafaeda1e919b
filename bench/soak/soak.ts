/**
 * `npm run soak`: the compiled daemon under mixed hostile and legitimate
 * clients for 10 minutes (SOAK_MINUTES), sampled every second.
 *
 * Hostile clients, each its own process (bench/soak/hostile.mjs): ten
 * thousand requests per write never read, forty subscriptions never read,
 * byte-at-a-time frames, half-sent 1 MiB frames, malformed and strange
 * msgpack, floods of 500 connections. Legitimate clients, in this process:
 * one connection asking CORE `ping` back to back, and a new connection
 * every second doing `status`, as a monitoring script would.
 *
 * Every second: the daemon's RSS and open descriptors, and the legitimate
 * asks' p99 for that second. Goal (issue 16): RSS < 200 MB throughout,
 * legitimate p99 < 10 ms, no legitimate request refused or failed, while
 * the hostile ones are cut off (their refusals are counted). JSON on stdout.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { readdirSync } from "node:fs"
import type * as net from "node:net"
import { join } from "node:path"
import { now, quantile, round } from "../support.ts"
import { benchBinary, connect, removeDir, rssKb, sigmavaultRequest, spawnSigmavault, tempDir, waitForSocket } from "../socket/processes.ts"

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10)
/** The first seconds (the daemon's JIT warming, the clients starting) are reported but not held to the goal. */
const WARMUP_S = 5
const ALL_KINDS = ["burst", "subscribe", "trickle", "partial", "garbage", "connections"]
/** SOAK_KINDS=burst,trickle runs only those hostile behaviours (to see which costs what); SOAK_KINDS=none, none. */
const KINDS = process.env.SOAK_KINDS === undefined ? ALL_KINDS : process.env.SOAK_KINDS.split(",").filter((k) => k !== "none" && k !== "")

interface Second {
  readonly t: number
  readonly rssMb: number
  readonly fds: number
  readonly asks: number
  readonly p99Ms: number
  readonly failures: number
}

const openFds = (pid: number) => {
  try {
    return readdirSync(`/proc/${pid}/fd`).length
  } catch {
    return -1
  }
}

const main = async () => {
  const binary = benchBinary()
  const dir = tempDir("sigmavault-soak-")
  const daemon = spawnSigmavault(binary.path, dir)
  const hostile: Array<ChildProcess> = []
  const hostileCounts = new Map<string, unknown>()
  try {
    const legit = await waitForSocket(daemon)
    for (const kind of KINDS) {
      const child = spawn(process.execPath.includes("bun") ? "node" : process.execPath, [join(import.meta.dirname, "hostile.mjs"), kind, daemon.socket], {
        stdio: ["ignore", "pipe", "inherit"],
        cwd: join(import.meta.dirname, "..", "..")
      })
      let last = ""
      child.stdout!.on("data", (chunk: Buffer) => {
        last += chunk.toString()
        const lines = last.split("\n")
        last = lines.pop()!
        if (lines.length > 0) hostileCounts.set(kind, JSON.parse(lines.at(-1)!))
      })
      hostile.push(child)
    }

    const seconds: Array<Second> = []
    let latencies: Array<number> = []
    let failures = 0
    const failureReasons = new Map<string, number>()
    const failed = (error: unknown) => {
      failures++
      const reason = error instanceof Error ? error.message.replace(/\d+/g, "N") : String(error)
      failureReasons.set(reason, (failureReasons.get(reason) ?? 0) + 1)
    }
    const started = now()
    const endAt = started + MINUTES * 60_000
    let id = 0

    // Back-to-back asks on one connection.
    const asking = (async () => {
      let socket: net.Socket = legit
      while (now() < endAt) {
        const t0 = now()
        try {
          const reply = await sigmavaultRequest(socket, { id: ++id, op: "ask", agent: "CORE", message: { type: "ping" } }, 10_000)
          if (reply.ok !== true) failed(new Error(`refused: ${reply.error?.code}`))
          else latencies.push(now() - t0)
        } catch (error) {
          failed(error)
          socket = await connect(daemon.socket)
        }
      }
    })()
    // A new connection every second, as a monitoring script would.
    const monitoring = (async () => {
      while (now() < endAt) {
        const t0 = now()
        try {
          const socket = await connect(daemon.socket)
          const reply = await sigmavaultRequest(socket, { id: 1, op: "status" }, 10_000)
          socket.destroy()
          if (reply.ok !== true) failed(new Error(`status refused: ${reply.error?.code}`))
          else latencies.push(now() - t0)
        } catch (error) {
          failed(error)
        }
        await new Promise((r) => setTimeout(r, 1_000))
      }
    })()
    const sampling = (async () => {
      while (now() < endAt) {
        await new Promise((r) => setTimeout(r, 1_000))
        const sorted = latencies.sort((a, b) => a - b)
        seconds.push({
          t: Math.round((now() - started) / 1000),
          rssMb: round((rssKb(daemon.pid) ?? 0) / 1024, 1),
          fds: openFds(daemon.pid),
          asks: sorted.length,
          p99Ms: round(quantile(sorted, 0.99), 2),
          failures
        })
        latencies = []
        if (seconds.length % 60 === 0) process.stderr.write(`soak: ${seconds.length} s, last ${JSON.stringify(seconds.at(-1))}\n`)
      }
    })()
    await Promise.all([asking, monitoring, sampling])

    const measured = seconds.filter((s) => s.t > WARMUP_S)
    const all = measured.map((s) => s.p99Ms).sort((a, b) => a - b)
    const rss = measured.map((s) => s.rssMb)
    const result = {
      name: "soak: hostile and legitimate clients",
      binary,
      minutes: MINUTES,
      hostile: Object.fromEntries(hostileCounts),
      legitimate: {
        asks: seconds.reduce((n, s) => n + s.asks, 0),
        failures,
        failureReasons: Object.fromEntries(failureReasons),
        p99MsWorstSecond: all.at(-1),
        p99MsMedianSecond: quantile(all, 0.5),
        secondsOver10Ms: all.filter((p) => p >= 10).length,
        warmupP99MsWorst: Math.max(...seconds.filter((s) => s.t <= WARMUP_S).map((s) => s.p99Ms))
      },
      daemon: {
        rssMbFirst: seconds[0]?.rssMb,
        rssMbMax: Math.max(...rss),
        secondsOver200Mb: rss.filter((r) => r >= 200).length,
        rssMbLast: rss.at(-1),
        fdsMax: Math.max(...seconds.map((s) => s.fds)),
        stillRunning: !daemon.hasExited()
      },
      goal: `after a ${WARMUP_S} s warm-up: RSS < 200 MB throughout, legitimate p99 < 10 ms in every second, 0 legitimate failures`,
      goalMet: Math.max(...rss) < 200 && (all.at(-1) ?? Infinity) < 10 && failures === 0,
      seconds
    }
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  } finally {
    for (const child of hostile) child.kill("SIGKILL")
    daemon.stop()
    removeDir(dir)
  }
}

await main()
