/**
 * `idleCpu`: the CPU an idle daemon spends, over a window long enough to
 * resolve 0.2 % of a core at the kernel's clock-tick resolution (30 s: one
 * tick is 0.033 %). `sigmavault run` (all 40 agents, default configuration,
 * fresh state) and redis-server, the anchor, idle side by side over the same
 * window, so both see the same machine; median of RUNS. Each is left to
 * settle first (start-up work, the first samples) and nothing talks to
 * either during the window.
 *
 * Figures per process: utime+stime+cutime+cstime from /proc/<pid>/stat (the
 * tools it ran and reaped count too), the same at nanosecond resolution from
 * /proc/<pid>/task/<tid>/schedstat (live threads only), and wakeups (context
 * switches over all threads). Environment: BENCH_IDLE_SECONDS (30),
 * BENCH_IDLE_RUNS (3), BENCH_IDLE_SETTLE_SECONDS (5).
 */
import { readdirSync, readFileSync } from "node:fs"
import type * as net from "node:net"
import { round } from "../support.ts"
import {
  agentLifecycles,
  benchBinary,
  redisPing,
  redisTools,
  removeDir,
  type Server,
  sigmavaultRequest,
  sleep,
  spawnRedis,
  spawnSigmavault,
  tempDir,
  waitForSocket
} from "./processes.ts"

const numberFrom = (name: string, fallback: number) => {
  const value = Number(process.env[name])
  return Number.isFinite(value) && value > 0 ? value : fallback
}
const WINDOW_S = numberFrom("BENCH_IDLE_SECONDS", 30)
const RUNS = Math.round(numberFrom("BENCH_IDLE_RUNS", 3))
const SETTLE_S = numberFrom("BENCH_IDLE_SETTLE_SECONDS", 5)
const EXPECTED_AGENTS = 40
const CLK_TCK = 100 // Linux USER_HZ
const GOAL_PCT = 0.2

interface Reading {
  readonly ticks: number
  readonly threadNs: number
  readonly switches: number
  readonly at: number
}

/** One process's counters now; undefined once it is gone. */
const read = (pid: number): Reading | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // After "pid (comm) ", state is index 0: utime, stime, cutime, cstime are 11..14.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number)
    let threadNs = 0
    let switches = 0
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        threadNs += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0])
        const status = readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8")
        switches += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0) +
          Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0)
      } catch {
        // A thread that ended between the listing and the read.
      }
    }
    return { ticks: f[11]! + f[12]! + f[13]! + f[14]!, threadNs, switches, at: performance.now() }
  } catch {
    return undefined
  }
}

interface Window {
  /** % of one core, from clock ticks (resolution 100 / (CLK_TCK * seconds) %). */
  readonly cpuPct: number
  /** % of one core, from the live threads' schedstat (ns). */
  readonly threadCpuPct: number
  readonly wakeupsPerSecond: number
}

const between = (a: Reading, b: Reading): Window => {
  const seconds = (b.at - a.at) / 1000
  return {
    cpuPct: round(((b.ticks - a.ticks) / CLK_TCK / seconds) * 100, 3),
    threadCpuPct: round(((b.threadNs - a.threadNs) / 1e9 / seconds) * 100, 3),
    wakeupsPerSecond: round((b.switches - a.switches) / seconds, 1)
  }
}

const median = (xs: ReadonlyArray<number>) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)]!
}

const summary = (windows: ReadonlyArray<Window>) => ({
  cpuPctMedian: median(windows.map((w) => w.cpuPct)),
  threadCpuPctMedian: median(windows.map((w) => w.threadCpuPct)),
  wakeupsPerSecondMedian: median(windows.map((w) => w.wakeupsPerSecond)),
  runs: windows
})

/** `agents` until all EXPECTED_AGENTS run, on the first connection. */
const allAgentsRunning = async (server: Server, socket: net.Socket) => {
  for (let id = 0; id < 15_000; id++) {
    const reply = await sigmavaultRequest(socket, { id, op: "agents" }, 5_000)
    const agents = agentLifecycles(reply?.result)
    if (agents.length === EXPECTED_AGENTS && agents.every((a) => a.lifecycle === "running")) return
    await sleep(1)
  }
  throw new Error(`agents did not report ${EXPECTED_AGENTS} running; log:\n${server.log()}`)
}

const ready = async (server: Server, check: (server: Server, socket: net.Socket) => Promise<void>) => {
  const socket = await waitForSocket(server, 15_000, 5)
  try {
    await check(server, socket)
  } finally {
    socket.destroy()
  }
}

/** Both servers idle over the same window; either may be absent (redis not installed). */
const once = async (binary: string, withRedis: boolean): Promise<{ ours: Window; redis?: Window }> => {
  const ourDir = tempDir("sigmavault-bench-idle-")
  const redisDir = tempDir("sigmavault-bench-redis-idle-")
  const ours = spawnSigmavault(binary, ourDir)
  const redis = withRedis ? spawnRedis(redisDir) : undefined
  try {
    await ready(ours, allAgentsRunning)
    if (redis !== undefined) await ready(redis, (_s, socket) => redisPing(socket, 5_000))
    await sleep(SETTLE_S * 1000)
    const a0 = read(ours.pid)
    const r0 = redis === undefined ? undefined : read(redis.pid)
    await sleep(WINDOW_S * 1000)
    const a1 = read(ours.pid)
    const r1 = redis === undefined ? undefined : read(redis.pid)
    if (a0 === undefined || a1 === undefined) throw new Error(`the daemon exited while idle; log:\n${ours.log()}`)
    return { ours: between(a0, a1), ...(r0 !== undefined && r1 !== undefined ? { redis: between(r0, r1) } : {}) }
  } finally {
    await Promise.all([ours.stop(), redis?.stop()])
    removeDir(ourDir)
    removeDir(redisDir)
  }
}

export const idleCpu = async () => {
  const binary = benchBinary()
  const tools = redisTools()
  const ours: Array<Window> = []
  const anchor: Array<Window> = []
  for (let i = 0; i < RUNS; i++) {
    process.stderr.write(`  idleCpu: run ${i + 1} of ${RUNS} (${SETTLE_S + WINDOW_S} s)\n`)
    const run = await once(binary.path, tools.ok)
    ours.push(run.ours)
    if (run.redis !== undefined) anchor.push(run.redis)
  }
  const sv = summary(ours)
  const redis = summary(anchor)
  const resolutionPct = round(100 / (CLK_TCK * WINDOW_S), 3)
  return {
    name: `idleCpu: CPU of an idle daemon (40 agents, defaults) over ${WINDOW_S} s after ${SETTLE_S} s to settle, % of one core`,
    binary: { path: binary.path, origin: binary.origin },
    windowSeconds: WINDOW_S,
    resolutionPct,
    sigmavault: sv,
    ...(tools.ok
      ? {
        anchorRedis: { what: `${tools.version}, idle over the same window`, ...redis },
        // Redis idles at or near 0: the ratio is taken against one tick of the window so it stays finite.
        ratioCpu: round(sv.cpuPctMedian / Math.max(redis.cpuPctMedian, resolutionPct), 1),
        ratioWakeups: round(sv.wakeupsPerSecondMedian / Math.max(redis.wakeupsPerSecondMedian, 0.1), 1)
      }
      : { anchor: tools.reason }),
    goal: `idle CPU <= ${GOAL_PCT} % of a core`,
    goalMet: sv.cpuPctMedian <= GOAL_PCT,
    note: "cpuPct counts clock ticks of the process and the children it reaped (tools it ran); threadCpuPct is the " +
      "live threads' schedstat in ns; wakeups are context switches over all threads. Both servers start fresh, " +
      "idle side by side, and nothing connects to either during the window."
  }
}
