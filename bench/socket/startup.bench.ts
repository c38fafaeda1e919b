/**
 * `startup`: from the exec of `sigmavault run` to its socket accepting a
 * connection and `agents` answering with all 40 agents running; then the
 * resident memory after 2 s idle. Median of 5 runs, each in a fresh temp dir,
 * SIGTERM between. Anchor, measured the same way in the same run: redis-server
 * (exec → socket answering PING) and its idle RSS.
 *
 * Regression guard (no test: a figure, judged here): the median CPU time the
 * daemon spent from exec to ready (user + system, /proc/<pid>/stat) is compared
 * with the committed baseline in startup-baseline.json. CPU time, not wall
 * time: on this shared 2-core machine the same binary's wall time to ready
 * ranged 0.58-2.3 s under other people's load, while its CPU time stayed
 * within ±20 % (0.48-0.64 s before issue 22). A median above
 * REGRESSION_FACTOR × the baseline prints `regression: true` and sets a
 * non-zero exit code; 1.5× is beyond that noise and well below the 3× the
 * start-up regressed by before (144 ms -> 470 ms). After a deliberate change,
 * re-measure on a quiet machine and commit the new baseline with its reason.
 */
import { readFileSync } from "node:fs"
import type * as net from "node:net"
import { join } from "node:path"
import { now, round } from "../support.ts"
import { processCpuUs } from "./loadgen.ts"
import {
  agentLifecycles,
  benchBinary,
  redisPing,
  redisTools,
  removeDir,
  rssKb,
  type Server,
  sigmavaultRequest,
  sleep,
  spawnRedis,
  spawnSigmavault,
  tempDir,
  waitForSocket
} from "./processes.ts"

const RUNS = 5
const IDLE_MS = 2_000
const EXPECTED_AGENTS = 40
/** A reply slower than this at startup is a connection the server will not answer. */
const REPLY_TIMEOUT_MS = 3_000
/** A median CPU time to ready above this multiple of the committed baseline is a regression. */
const REGRESSION_FACTOR = 1.5

interface Baseline {
  readonly cpuMsToReadyMedian: number
  readonly readyMsMedian: number
  readonly idleRssMBMedian: number
  readonly measured: string
  readonly machine: string
  readonly why: string
}

const readBaseline = (): Baseline | string => {
  const file = join(import.meta.dirname, "startup-baseline.json")
  try {
    const baseline = JSON.parse(readFileSync(file, "utf8")) as Baseline
    return typeof baseline.cpuMsToReadyMedian === "number" ? baseline : `${file} has no cpuMsToReadyMedian`
  } catch (error) {
    return `${file} cannot be read: ${error instanceof Error ? error.message : String(error)}`
  }
}

interface Run {
  readonly acceptMs: number
  readonly readyMs: number
  /** CPU time (user + system) the server spent from exec to ready, ms (10 ms resolution). */
  readonly cpuMsToReady: number
  readonly rssAtReadyMB: number
  readonly idleRssMB: number
  /** CPU time over the idle window, % of one core (10 ms resolution). */
  readonly idleCpuPct: number
  readonly shutdownMs: number
  readonly exitCode: number | null
}

const median = (xs: ReadonlyArray<number>) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)]!
}

const mb = (kb: number | undefined) => round((kb ?? NaN) / 1024, 1)

type Outcome = ({ readonly ok: true } & Run) | { readonly ok: false; readonly error: string; readonly acceptMs?: number }

/**
 * Starts a server in a fresh dir, connects as soon as the socket accepts, asks
 * on that same connection until `ready` says so, idles, measures, stops. A
 * run whose first connection is accepted but never answered is a failed run,
 * reported as such (no retry on another connection).
 */
const once = async (
  start: (dir: string) => Server,
  ready: (server: Server, socket: net.Socket) => Promise<void>,
  prefix: string
): Promise<Outcome> => {
  const dir = tempDir(prefix)
  const server = start(dir)
  let acceptMs: number | undefined
  try {
    const socket = await waitForSocket(server, 15_000, 1)
    acceptMs = round(now() - server.startedAt, 1)
    try {
      await ready(server, socket)
    } finally {
      socket.destroy()
    }
    const readyMs = now() - server.startedAt
    const cpuMsToReady = round((processCpuUs(server.pid) ?? NaN) / 1000, 0)
    const rssAtReadyMB = mb(rssKb(server.pid))
    const cpu0 = processCpuUs(server.pid) ?? NaN
    const t0 = now()
    await sleep(IDLE_MS)
    const idleCpuPct = round(((processCpuUs(server.pid) ?? NaN) - cpu0) / ((now() - t0) * 1000) * 100, 1)
    const idleRssMB = mb(rssKb(server.pid))
    const shutdownMs = await server.stop()
    return {
      ok: true,
      acceptMs,
      readyMs: round(readyMs, 1),
      cpuMsToReady,
      rssAtReadyMB,
      idleRssMB,
      idleCpuPct,
      shutdownMs: round(shutdownMs, 1),
      exitCode: await server.exited
    }
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error), ...(acceptMs === undefined ? {} : { acceptMs }) }
  } finally {
    await server.stop()
    removeDir(dir)
  }
}

/** `agents` on the first connection until it lists EXPECTED_AGENTS agents, all running (1 ms between tries). */
const allAgentsRunning = async (server: Server, socket: net.Socket) => {
  const deadline = now() + 15_000
  let id = 0
  let last = ""
  while (now() < deadline) {
    const reply = await sigmavaultRequest(socket, { id: id++, op: "agents" }, REPLY_TIMEOUT_MS).catch((error: Error) => {
      throw new Error(`${error.message} on the first connection: the daemon accepted it but never answered`)
    })
    const agents = agentLifecycles(reply?.result)
    const running = agents.filter((a) => a.lifecycle === "running").length
    if (reply?.ok === true && agents.length === EXPECTED_AGENTS && running === EXPECTED_AGENTS) return
    last = `${running} of ${agents.length} running`
    await sleep(1)
  }
  throw new Error(`agents did not report ${EXPECTED_AGENTS} running within 15 s (last: ${last}); log:\n${server.log()}`)
}

const answersPing = (_server: Server, socket: net.Socket) => redisPing(socket, REPLY_TIMEOUT_MS)

const summary = (outcomes: ReadonlyArray<Outcome>) => {
  const runs = outcomes.filter((o): o is { readonly ok: true } & Run => o.ok)
  const failed = outcomes.filter((o) => !o.ok)
  return {
    readyMsMedian: median(runs.map((r) => r.readyMs)),
    cpuMsToReadyMedian: median(runs.map((r) => r.cpuMsToReady)),
    acceptMsMedian: median(runs.map((r) => r.acceptMs)),
    idleRssMBMedian: median(runs.map((r) => r.idleRssMB)),
    idleCpuPctMedian: median(runs.map((r) => r.idleCpuPct)),
    shutdownMsMedian: median(runs.map((r) => r.shutdownMs)),
    succeeded: runs.length,
    failed: failed.length,
    runs: outcomes.map(({ ok: _ok, ...rest }) => rest)
  }
}

export const startup = async () => {
  const binary = benchBinary()
  const tools = redisTools()
  const ours: Array<Outcome> = []
  const anchor: Array<Outcome> = []
  // Alternate the two so both see the same machine load.
  for (let i = 0; i < RUNS; i++) {
    process.stderr.write(`  startup: run ${i + 1} of ${RUNS}\n`)
    ours.push(await once((dir) => spawnSigmavault(binary.path, dir), allAgentsRunning, "sigmavault-bench-startup-"))
    if (tools.ok) anchor.push(await once(spawnRedis, answersPing, "sigmavault-bench-redis-startup-"))
  }
  const sv = summary(ours)
  const redis = summary(anchor)
  const baseline = readBaseline()
  const limitCpuMs = typeof baseline === "string" ? undefined : round(baseline.cpuMsToReadyMedian * REGRESSION_FACTOR, 0)
  // A failed run is a regression too: the daemon did not get ready.
  const regression = sv.failed > 0 || limitCpuMs === undefined || !(sv.cpuMsToReadyMedian <= limitCpuMs)
  if (regression) process.exitCode = 1
  return {
    name: `startup: exec -> socket accepting and 'agents' listing all ${EXPECTED_AGENTS} running; RSS after ${IDLE_MS / 1000} s idle`,
    binary: { path: binary.path, origin: binary.origin },
    runs: RUNS,
    sigmavault: sv,
    ...(tools.ok
      ? {
        anchorRedis: { what: `${tools.version}: exec -> socket answering PING`, ...redis },
        ratioReadyMs: round(sv.readyMsMedian / Math.max(redis.readyMsMedian, 0.1), 1),
        ratioIdleRss: round(sv.idleRssMBMedian / Math.max(redis.idleRssMBMedian, 0.1), 1)
      }
      : { anchor: tools.reason }),
    goal: "ready <= 150 ms, idle RSS < 60 MB (issue 22)",
    goalMet: { ready: sv.failed === 0 && sv.readyMsMedian <= 150, idleRss: sv.idleRssMBMedian < 60 },
    regression,
    regressionGuard: typeof baseline === "string"
      ? { problem: baseline }
      : {
        what: `median CPU ms from exec to ready vs ${REGRESSION_FACTOR} x the committed baseline (bench/socket/startup-baseline.json)`,
        cpuMsToReadyMedian: sv.cpuMsToReadyMedian,
        baselineCpuMs: baseline.cpuMsToReadyMedian,
        limitCpuMs,
        ratioToBaseline: round(sv.cpuMsToReadyMedian / baseline.cpuMsToReadyMedian, 2),
        baselineMeasured: baseline.measured
      },
    note: "Times run from just before spawn() to the reply, polling the socket every 1 ms and asking on the first " +
      "connection that is accepted; medians are over the runs that succeeded, and a failed run fails the ready goal. " +
      "shutdownMs is SIGTERM -> exit; idleCpuPct is CPU over the idle window in % of one core."
  }
}
