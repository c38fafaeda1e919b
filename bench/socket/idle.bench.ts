/**
 * `idleCpu`: the CPU an idle daemon spends, over windows long enough to
 * resolve 0.2 % of a core at the kernel's clock-tick resolution (30 s: one
 * tick is 0.033 %). `sigmavault run` (all 40 agents, default configuration,
 * fresh state) and redis-server, the anchor, idle side by side; RUNS pairs
 * run at once (idle processes barely compete), so every figure comes from the
 * same minutes of the same machine; medians over the runs.
 *
 * Two windows per process, nothing talking to either meanwhile: `warmUp`,
 * from SETTLE s after the daemon is ready (the JIT is still compiling what the
 * periodic work runs), and `steady`, STEADY s after ready: what a NAS idling
 * 24/7 spends, which the goal is judged on.
 *
 * Figures per process: utime+stime+cutime+cstime from /proc/<pid>/stat (the
 * tools it ran and reaped count too), the same at nanosecond resolution from
 * /proc/<pid>/task/<tid>/schedstat (threads alive at the window's end: one
 * that ended meanwhile takes its time with it), and wakeups (context switches over all
 * threads). Environment: BENCH_IDLE_SECONDS (30), BENCH_IDLE_RUNS (3),
 * BENCH_IDLE_SETTLE_SECONDS (5), BENCH_IDLE_STEADY_SECONDS (90).
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
const STEADY_S = Math.max(SETTLE_S + WINDOW_S, numberFrom("BENCH_IDLE_STEADY_SECONDS", 90))
const EXPECTED_AGENTS = 40
const CLK_TCK = 100 // Linux USER_HZ
const GOAL_PCT = 0.2

interface Reading {
  readonly ticks: number
  /** Per live thread: CPU ns (schedstat) and context switches. */
  readonly threads: ReadonlyMap<string, { readonly ns: number; readonly switches: number }>
  readonly at: number
}

/** One process's counters now; undefined once it is gone. */
const read = (pid: number): Reading | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // After "pid (comm) ", state is index 0: utime, stime, cutime, cstime are 11..14.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number)
    const threads = new Map<string, { ns: number; switches: number }>()
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0])
        const status = readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8")
        const switches = Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0) +
          Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0)
        threads.set(tid, { ns, switches })
      } catch {
        // A thread that ended between the listing and the read.
      }
    }
    return { ticks: f[11]! + f[12]! + f[13]! + f[14]!, threads, at: performance.now() }
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

/** Threads are compared only with themselves: one that ended or began inside the window counts for what both readings saw. */
const between = (a: Reading, b: Reading): Window => {
  const seconds = (b.at - a.at) / 1000
  let ns = 0
  let switches = 0
  for (const [tid, end] of b.threads) {
    const start = a.threads.get(tid) ?? { ns: 0, switches: 0 }
    ns += end.ns - start.ns
    switches += end.switches - start.switches
  }
  return {
    cpuPct: round(((b.ticks - a.ticks) / CLK_TCK / seconds) * 100, 3),
    threadCpuPct: round((ns / 1e9 / seconds) * 100, 3),
    wakeupsPerSecond: round(switches / seconds, 1)
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
  const deadline = performance.now() + 60_000
  for (let id = 0; performance.now() < deadline; id++) {
    const reply = await sigmavaultRequest(socket, { id, op: "agents" }, 10_000)
    const agents = agentLifecycles(reply?.result)
    if (agents.length === EXPECTED_AGENTS && agents.every((a) => a.lifecycle === "running")) return
    await sleep(1)
  }
  throw new Error(`agents did not report ${EXPECTED_AGENTS} running; log:\n${server.log()}`)
}

const ready = async (server: Server, check: (server: Server, socket: net.Socket) => Promise<void>) => {
  // Generous: several daemons start at once on a shared machine, and start-up is not what this measures.
  const socket = await waitForSocket(server, 60_000, 5)
  try {
    await check(server, socket)
  } finally {
    socket.destroy()
  }
}

interface Windows {
  readonly warmUp: Window
  readonly steady: Window
}

/** Counters at SETTLE and SETTLE + WINDOW s after `readyAt`, then at STEADY and STEADY + WINDOW s. */
const measure = async (pid: number, readyAt: number, log: () => string): Promise<Windows> => {
  const at = async (seconds: number) => {
    await sleep(Math.max(0, readyAt + seconds * 1000 - performance.now()))
    const reading = read(pid)
    if (reading === undefined) throw new Error(`the server exited while idle; log:\n${log()}`)
    return reading
  }
  const w0 = await at(SETTLE_S)
  const w1 = await at(SETTLE_S + WINDOW_S)
  const s0 = await at(STEADY_S)
  const s1 = await at(STEADY_S + WINDOW_S)
  return { warmUp: between(w0, w1), steady: between(s0, s1) }
}

/** One daemon and, when it can run, one redis-server, started together and measured over the same windows. */
const once = async (binary: string, withRedis: boolean): Promise<{ ours: Windows; redis?: Windows }> => {
  const ourDir = tempDir("sigmavault-bench-idle-")
  const redisDir = tempDir("sigmavault-bench-redis-idle-")
  const ours = spawnSigmavault(binary, ourDir)
  const redis = withRedis ? spawnRedis(redisDir) : undefined
  try {
    await ready(ours, allAgentsRunning)
    const readyAt = performance.now()
    if (redis !== undefined) await ready(redis, (_s, socket) => redisPing(socket, 5_000))
    const [ourWindows, redisWindows] = await Promise.all([
      measure(ours.pid, readyAt, ours.log),
      redis === undefined ? undefined : measure(redis.pid, readyAt, redis.log)
    ])
    return { ours: ourWindows, ...(redisWindows === undefined ? {} : { redis: redisWindows }) }
  } finally {
    await Promise.all([ours.stop(), redis?.stop()])
    removeDir(ourDir)
    removeDir(redisDir)
  }
}

const summaries = (runs: ReadonlyArray<Windows>) => ({
  steady: summary(runs.map((r) => r.steady)),
  warmUp: summary(runs.map((r) => r.warmUp))
})

export const idleCpu = async () => {
  const binary = benchBinary()
  const tools = redisTools()
  process.stderr.write(`  idleCpu: ${RUNS} daemons${tools.ok ? " and redis-servers" : ""} at once, ~${STEADY_S + WINDOW_S} s\n`)
  const runs = await Promise.all(Array.from({ length: RUNS }, () => once(binary.path, tools.ok)))
  const sv = summaries(runs.map((r) => r.ours))
  const redis = summaries(runs.flatMap((r) => (r.redis === undefined ? [] : [r.redis])))
  const resolutionPct = round(100 / (CLK_TCK * WINDOW_S), 3)
  const ratio = (ours: number, anchor: number, floor: number) => round(ours / Math.max(anchor, floor), 1)
  return {
    name: `idleCpu: CPU of an idle daemon (40 agents, defaults), % of one core, over ${WINDOW_S} s from ${STEADY_S} s after ready (steady) and from ${SETTLE_S} s (warmUp)`,
    binary: { path: binary.path, origin: binary.origin },
    windowSeconds: WINDOW_S,
    resolutionPct,
    sigmavault: sv,
    ...(tools.ok
      ? {
        anchorRedis: { what: `${tools.version}, idle over the same windows`, ...redis },
        // Redis idles near 0: a ratio is taken against at least one tick of the window so it stays finite.
        ratioCpuSteady: ratio(sv.steady.cpuPctMedian, redis.steady.cpuPctMedian, resolutionPct),
        ratioCpuWarmUp: ratio(sv.warmUp.cpuPctMedian, redis.warmUp.cpuPctMedian, resolutionPct),
        ratioWakeupsSteady: ratio(sv.steady.wakeupsPerSecondMedian, redis.steady.wakeupsPerSecondMedian, 0.1)
      }
      : { anchor: tools.reason }),
    goal: `idle CPU <= ${GOAL_PCT} % of a core (steady)`,
    goalMet: sv.steady.cpuPctMedian <= GOAL_PCT,
    note: "cpuPct counts clock ticks of the process and the children it reaped (tools it ran); threadCpuPct is the " +
      "schedstat in ns of the threads alive at the window's end; wakeups are context switches over all threads. Each server starts fresh, " +
      "and nothing connects to either after the daemon's readiness check."
  }
}
