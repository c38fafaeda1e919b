/**
 * `sigmavault run`: starts the supervision tree and the control socket in the
 * foreground, runs until SIGINT/SIGTERM (graceful shutdown with a deadline)
 * or until an escalation passes the root (exit code 1, so systemd's
 * Restart=on-failure starts afresh).
 */
import { readFileSync } from "node:fs"
import { Cause, Data, Deferred, Effect, Exit, Option, Result } from "effect"
import type * as DbusGatewayModule from "../adapters/dbus/DbusGateway.ts"
import * as MetricsListener from "../adapters/http/MetricsListener.ts"
import * as ControlServer from "../adapters/socket/ControlServer.ts"
import { ready, sendOrWarn, stopping } from "../adapters/systemd/Notify.ts"
import type { Endpoint } from "../adapters/socket/Gateway.ts"
import * as ActorSystem from "../runtime/ActorSystem.ts"
import { rosterTree, type RosterServices } from "../actors/roster.ts"
import { version, commit } from "../version.ts"
import { DAEMON } from "../runtime/Caller.ts"
import { describeError } from "../runtime/Errors.ts"
import { AccessPolicy, makePolicy, type Roles } from "../access/Policy.ts"
import { makeGate } from "../access/Gate.ts"
import { PeerCredentials } from "../adapters/socket/PeerCredentials.ts"
import { AuditLedger } from "../ledger/index.ts"
import { ExitCode } from "../ExitCode.ts"
import type { MetricHistory } from "../history/History.ts"
import { recordDaemon, recordRuntimeEvents } from "./Audit.ts"
import * as MetricsSampler from "./MetricsSampler.ts"
import { MetricsTap } from "./MetricsTopic.ts"

export interface DaemonSettings {
  readonly stateDir: string
  readonly socketPath: string
  readonly socketMode: number
  readonly socketGid: number | undefined
  readonly shutdownDeadlineMs: number
  readonly maxFrameBytes: number
  readonly maxConnections: number
  readonly clientBufferEvents: number
  readonly askTimeoutMs: number
  readonly mailboxCapacity: number
  readonly testFaults: boolean
  /** The groups of each role (docs/security.md). */
  readonly roles: Roles
  /** Where file jobs may read and write; undefined: /srv and every mounted ZFS dataset. */
  readonly fileRoots: ReadonlyArray<string> | undefined
  readonly fileJobMaxBytes: number
  /** BRIDGE's tools and files: smb.conf for net/smbcontrol (undefined: Samba's default) and the NFS exports directory. */
  readonly shares: { readonly smbConf: string | undefined; readonly exportsDir: string }
  /** A connection with nothing in flight and no traffic for this long is closed. */
  readonly clientIdleTimeoutMs: number
  /** How often the runtime's own metrics are recorded in the metric history (MetricsSampler). */
  readonly metricsIntervalMs: number,
  /** PRISM's HTTP listener for Prometheus (`metrics_listen`); undefined: none. */
  readonly metricsListen: { readonly host: string; readonly port: number } | undefined
  /** `explicit`: asked for on the command line, so failing to export is fatal rather than a warning. */
  readonly dbus:
    | { readonly bus: "none" }
    | { readonly bus: "system" | "session"; readonly explicit: boolean; readonly address?: string }
}

/** Why the daemon stops: an administrator's signal drains the mailboxes; an escalation past the root exits at once, non-zero. */
type StopReason = Data.TaggedEnum<{
  Signal: { readonly signal: NodeJS.Signals }
  Escalation: { readonly reason: string }
}>
const StopReason = Data.taggedEnum<StopReason>()

/** The reason as the audit ledger and the log word it. */
const describeStop = StopReason.$match({
  Signal: ({ signal }) => signal,
  Escalation: ({ reason }) => `escalation: ${reason}`
})

/**
 * Event-loop lag as `status` reports it: a timer measures how late it fires;
 * the figure is the worst of the last few seconds. Cheaper and more portable
 * (Bun included) than perf_hooks' histogram. It probes every 500 ms while
 * someone watches (a `status` within the last 30 s: `inspect` asks every
 * refresh) and every 5 s otherwise, so an idle daemon wakes for it once in 5 s
 * rather than twice a second; the first `status` after a quiet spell reports
 * the latest of those slower probes and switches to the fast ones at once.
 */
const LAG_WATCHED_PERIOD_MS = 500
const LAG_IDLE_PERIOD_MS = 5_000
const LAG_WATCH_FOR_MS = 30_000
const LAG_WINDOW_MS = 5_000

const eventLoopLag = Effect.acquireRelease(
  Effect.sync(() => {
    const samples: Array<{ readonly at: number; readonly lagMs: number }> = []
    let watchedUntil = 0
    let timer: ReturnType<typeof setTimeout> | undefined
    const arm = () => {
      const period = performance.now() < watchedUntil ? LAG_WATCHED_PERIOD_MS : LAG_IDLE_PERIOD_MS
      const expected = performance.now() + period
      timer = setTimeout(() => {
        const now = performance.now()
        samples.push({ at: now, lagMs: Math.max(0, now - expected) })
        // The last sample stays however old: it is the one a quiet spell reports.
        while (samples.length > 1 && samples[0]!.at < now - LAG_WINDOW_MS) samples.shift()
        arm()
      }, period)
      timer.unref()
    }
    arm()
    const current = () => {
      const now = performance.now()
      const wasWatched = now < watchedUntil
      watchedUntil = now + LAG_WATCH_FOR_MS
      if (!wasWatched) {
        clearTimeout(timer)
        arm()
      }
      let worst = 0
      for (const sample of samples) if (sample.at >= now - LAG_WINDOW_MS || sample === samples.at(-1)) worst = Math.max(worst, sample.lagMs)
      return Math.round(worst * 10) / 10
    }
    return { stop: () => clearTimeout(timer), current }
  }),
  ({ stop }) => Effect.sync(stop)
)

/** Resolves on the first SIGINT or SIGTERM; a second one is left to the default handler (immediate exit). */
const awaitSignal = Effect.callback<NodeJS.Signals>((resume) => {
  const onSignal = (signal: NodeJS.Signals) => {
    process.off("SIGINT", onSignal)
    process.off("SIGTERM", onSignal)
    resume(Effect.succeed(signal))
  }
  process.once("SIGINT", onSignal)
  process.once("SIGTERM", onSignal)
  return Effect.sync(() => {
    process.off("SIGINT", onSignal)
    process.off("SIGTERM", onSignal)
  })
})

export const run = (
  settings: DaemonSettings,
  gateway: { readonly register: (source: () => Endpoint) => void }
): Effect.Effect<number, never, Exclude<RosterServices, AccessPolicy> | PeerCredentials | MetricHistory> =>
  Effect.scoped(Effect.gen(function*() {
    const startedAt = Date.now()
    const ledger = yield* AuditLedger
    const policy = makePolicy(settings.roles, process.getuid?.())
    const gate = makeGate(policy, ledger, { warn: (text) => Effect.runFork(Effect.logWarning(text)) })
    const system = yield* ActorSystem.make({
      root: rosterTree(),
      defaultMailboxCapacity: settings.mailboxCapacity,
      defaultAskTimeoutMs: settings.askTimeoutMs,
      testFaults: settings.testFaults,
      gate
    }).pipe(Effect.provideService(AccessPolicy, policy))
    yield* recordRuntimeEvents(system, ledger)
    // STREAM's metrics topic: the history's records reach the bus from now on (MetricsTopic.ts).
    const metricsTap = yield* Effect.serviceOption(MetricsTap)
    if (Option.isSome(metricsTap)) {
      const detach = metricsTap.value.attach(system.inspection)
      yield* Effect.addFinalizer(() => Effect.sync(detach))
    }
    yield* MetricsSampler.start(system, settings.metricsIntervalMs)
    // Listening for SIGTERM before the socket accepts anyone: a client that sees the socket may signal at once.
    const stop = yield* Deferred.make<StopReason>()
    yield* Effect.forkScoped(Effect.flatMap(awaitSignal, (signal) => Deferred.succeed(stop, StopReason.Signal({ signal }))))
    yield* Effect.yieldNow
    let connections = () => 0
    const lag = yield* eventLoopLag
    const daemonInfo = (): ControlServer.DaemonInfo => ({
      version: `${version} (${commit})`,
      pid: process.pid,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      socket: settings.socketPath,
      connections: connections(),
      rssBytes: process.memoryUsage.rss(),
      eventLoopLagMs: lag.current()
    })
    // Connections may use only the descriptors the agents' own files and tools do not need.
    const openFiles = openFileLimit()
    const connectionLimit = connectionsWithin(settings.maxConnections, openFiles)
    if (connectionLimit < settings.maxConnections) {
      yield* Effect.logWarning(
        `serving at most ${connectionLimit} connections, not max_connections ${settings.maxConnections}: the open-file limit is ${openFiles} ` +
          `and the agents keep ${openFiles! - connectionLimit} for their own files and tools (raise LimitNOFILE / ulimit -n to serve more)`
      )
    }
    const server = yield* ControlServer.start(system, {
      socketPath: settings.socketPath,
      mode: settings.socketMode,
      gid: settings.socketGid,
      maxFrameBytes: settings.maxFrameBytes,
      maxConnections: connectionLimit,
      clientBufferEvents: settings.clientBufferEvents,
      defaultAskTimeoutMs: settings.askTimeoutMs,
      idleTimeoutMs: settings.clientIdleTimeoutMs,
      daemonInfo,
      peers: yield* PeerCredentials,
      gate
    }).pipe(Effect.result)
    if (Result.isFailure(server)) {
      yield* Effect.logError(`sigmavault cannot start: ${server.failure.message}`)
      yield* system.shutdown({ deadlineMs: 0 })
      return ExitCode.failure
    }
    connections = server.success.connections
    const listeningSince = Date.now()
    gateway.register(() => ({
      kind: "control-socket",
      address: settings.socketPath,
      connections: connections(),
      since: listeningSince
    }))
    const listen = settings.metricsListen
    if (listen !== undefined) {
      // Configured by the administrator, it sends PRISM one fixed message (no input of the HTTP client's reaches
      // the actor system), so it asks as the daemon; `metrics` is a read, which the gate does not record.
      const metrics = yield* MetricsListener.start({
        host: listen.host,
        port: listen.port,
        scrape: (done) =>
          void system.injectAskCallback(DAEMON, "PRISM", { type: "metrics" }, settings.askTimeoutMs, (exit) => {
            if (Exit.isFailure(exit)) return done({ failed: describeError(Cause.squash(exit.cause)) })
            const reply = exit.value as { readonly text?: unknown; readonly contentType?: unknown }
            typeof reply.text === "string" && typeof reply.contentType === "string"
              ? done({ text: reply.text, contentType: reply.contentType })
              : done({ failed: "PRISM's reply has no exposition" })
          })
      }).pipe(Effect.result)
      if (Result.isFailure(metrics)) {
        yield* Effect.logError(`sigmavault cannot start: ${metrics.failure.message}`)
        yield* system.shutdown({ deadlineMs: 0 })
        return ExitCode.failure
      }
      const since = Date.now()
      gateway.register(() => ({ kind: "metrics-http", address: metrics.success.address, connections: metrics.success.connections(), since }))
      yield* Effect.logInfo(`serving metrics for Prometheus at http://${metrics.success.address}/metrics`)
    }
    const dbus = settings.dbus
    if (dbus.bus !== "none") {
      // Loaded only when the bus is used: dbus-next and its XML parsers are a chunk of their own that a
      // daemon without D-Bus (the default outside systemd) never evaluates at start (issue 22).
      const DbusGateway: typeof DbusGatewayModule = yield* Effect.promise(() => import("../adapters/dbus/DbusGateway.ts"))
      const exported = yield* DbusGateway.start(system, {
        bus: dbus.bus,
        ...(dbus.address === undefined ? {} : { address: dbus.address }),
        defaultAskTimeoutMs: settings.askTimeoutMs,
        daemonInfo,
        register: gateway.register,
        gate
      }).pipe(Effect.result)
      if (Result.isFailure(exported)) {
        if (dbus.explicit) {
          yield* Effect.logError(`sigmavault cannot start: ${exported.failure.message}`)
          yield* system.shutdown({ deadlineMs: 0 })
          return ExitCode.failure
        }
        yield* Effect.logWarning(`D-Bus not exported (the control socket still works): ${exported.failure.message}`)
      }
    }
    const started = system.summary()
    yield* Effect.logInfo(
      `sigmavault ${version} started: ${started.running}/${started.agents} agents running; ` +
        `control socket ${settings.socketPath}; state in ${settings.stateDir}` +
        (settings.testFaults ? "; TEST FAULTS ENABLED" : "")
    )
    yield* sendOrWarn(ready(started))
    yield* recordDaemon(ledger, "daemon.started", { version: `${version} (${commit})`, pid: process.pid, agents: started.agents })
    yield* Effect.forkScoped(
      Effect.flatMap(system.awaitExit, (exit) =>
        exit._tag === "Failed" ? Deferred.succeed(stop, StopReason.Escalation({ reason: exit.reason })) : Effect.void)
    )
    const stopReason = yield* Deferred.await(stop)
    const reason = describeStop(stopReason)
    yield* sendOrWarn(stopping())
    yield* recordDaemon(ledger, "daemon.stopped", { reason })
    if (stopReason._tag === "Escalation") {
      yield* Effect.logError(`sigmavault stopping: ${reason}`)
      return ExitCode.failure
    }
    yield* Effect.logInfo(`sigmavault stopping on ${reason}: draining mailboxes for up to ${settings.shutdownDeadlineMs} ms`)
    const report = yield* system.shutdown({ deadlineMs: settings.shutdownDeadlineMs })
    const leftover = Object.entries(report.leftover).map(([agent, n]) => `${agent}=${n}`).join(" ")
    if (report.unstopped.length > 0) {
      // Still running, and nothing more can stop them from here: the process exits, which ends them.
      yield* Effect.logError(`sigmavault: these agents did not stop even when interrupted, and are left to the process exit: ${report.unstopped.join(", ")}`)
    }
    yield* Effect.logInfo(
      `sigmavault stopped in ${report.durationMs} ms` +
        (leftover === "" ? "; every mailbox drained" : `; left over: ${leftover}`) +
        (report.killed.length === 0 ? "" : `; interrupted mid-message at the deadline: ${report.killed.join(", ")}`)
    )
    // A requested stop is a success, even one that had to interrupt agents (systemd: no restart).
    return ExitCode.ok
  }))

export const exitCodeOf = (exit: Exit.Exit<number, unknown>) => Exit.isSuccess(exit) ? exit.value : ExitCode.failure

/** The soft limit on open files (/proc/self/limits), or undefined when it cannot be read or is unlimited. */
export const openFileLimit = (): number | undefined => {
  try {
    const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"))
    const soft = line?.split(/\s{2,}/)[1]
    return soft === undefined || !/^\d+$/.test(soft) ? undefined : Number(soft)
  } catch {
    return undefined
  }
}

/**
 * Connections the daemon may serve under an open-file limit: the configured
 * number, but never more than the limit less what the agents need for their
 * own files, tools and helpers (a quarter of the limit, at least 128).
 */
export const connectionsWithin = (configured: number, openFiles: number | undefined): number =>
  openFiles === undefined ? configured : Math.max(1, Math.min(configured, openFiles - Math.max(128, Math.floor(openFiles / 4))))
