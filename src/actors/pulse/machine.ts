/**
 * PULSE pings systemd's watchdog every `watchdogIntervalMs` (half of
 * WATCHDOG_USEC), but only while the runtime is healthy: every tier
 * supervisor running and the event loop responsive (see health.ts). A ping
 * skipped means systemd restarts the daemon after WatchdogSec, which is the
 * point: a runtime that cannot keep its supervisors up or its timers on time
 * is better restarted whole. The STATUS line ("40/40 agents running") rides
 * along whenever it changed. Separately, it checks the systemd units the NAS
 * depends on every `livenessIntervalMs` and logs when one changes state.
 * Both timers are XState `after` delays, so they run on Effect's Clock.
 */
import { Cause, Clock, Effect, Result } from "effect"
import { assign, emit, setup } from "xstate"
import { Notify, statusText } from "../../adapters/systemd/Notify.ts"
import { ServiceManager, type UnitState, validateUnitName } from "../../adapters/systemd/ServiceManager.ts"
import { AgentEnv, type AgentEmitted, replyWith } from "../../runtime/Agent.ts"
import type { Capability } from "../../runtime/Agent.ts"
import { PulseConfig } from "./config.ts"
import { assessHealth } from "./health.ts"
import type * as Protocol from "../../runtime/Protocol.ts"
import type { HeartbeatDecision, Pulse, ServiceLiveness } from "./messages.ts"

export type { HeartbeatDecision, ServiceLiveness } from "./messages.ts"

interface SkipLog {
  readonly reason: string
  readonly at: number
  /** Skips since the last logged one that were not logged. */
  readonly unlogged: number
}

interface BeatInput {
  readonly previousEndedAt: number
  readonly statusKnownToSystemd: string | undefined
  readonly skipLog: SkipLog | undefined
}

interface BeatOutcome {
  readonly decision: HeartbeatDecision
  readonly endedAt: number
  readonly statusKnownToSystemd: string | undefined
  readonly skipLog: SkipLog | undefined
}

interface PulseContext {
  readonly previousEndedAt: number
  readonly statusKnownToSystemd: string | undefined
  readonly skipLog: SkipLog | undefined
  readonly lastDecision: HeartbeatDecision | undefined
  readonly lastSentAt: number | undefined
  readonly services: ReadonlyArray<ServiceLiveness>
  readonly checkedAt: number | undefined
}

export const pulseCapabilities: ReadonlyArray<Capability> = [
  {
    name: "watchdog",
    available: true,
    detail:
      "sends WATCHDOG=1 to systemd at half of WATCHDOG_USEC, only while every tier supervisor runs and the event loop keeps its timers; tells when it last did and why it skipped"
  },
  {
    name: "liveness",
    available: true,
    detail: "checks the configured systemd units with systemctl is-active on an interval and logs when one changes state"
  }
]

const MIN_INTERVAL_MS = 100

/** A heartbeat skipped for the same reason is logged at most once per this interval. */
const SKIP_LOG_INTERVAL_MS = 60_000

export const pulseMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const notify = yield* Notify
  const serviceManager = yield* ServiceManager
  const config = yield* PulseConfig
  const intervalMs = config.watchdogIntervalMs === undefined
    ? undefined
    : Math.max(MIN_INTERVAL_MS, config.watchdogIntervalMs)
  const livenessIntervalMs = Math.max(MIN_INTERVAL_MS, config.livenessIntervalMs)
  const startedAt = yield* Clock.currentTimeMillis

  /** Logs a skip when its reason changes, else at most once per SKIP_LOG_INTERVAL_MS, counting the ones in between. */
  const noteSkip = (previous: SkipLog | undefined, reason: string, now: number) =>
    Effect.gen(function*() {
      if (previous !== undefined && previous.reason === reason && now - previous.at < SKIP_LOG_INTERVAL_MS) {
        return { ...previous, unlogged: previous.unlogged + 1 }
      }
      const more = previous !== undefined && previous.unlogged > 0 ? ` (${previous.unlogged} more skipped since the last log)` : ""
      yield* Effect.logWarning(`watchdog ping ${reason}${more}`)
      return { reason, at: now, unlogged: 0 }
    })

  const beat = (input: BeatInput): Effect.Effect<BeatOutcome> =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const health = assessHealth(env.system.tree(), now - input.previousEndedAt, intervalMs!)
      const status = statusText(env.system.summary())
      const fields: Record<string, string> = {}
      if (health.healthy) fields.WATCHDOG = "1"
      if (status !== input.statusKnownToSystemd) fields.STATUS = status
      const delivery = Object.keys(fields).length === 0 ? Result.succeed(undefined) : yield* Effect.result(notify.notify(fields))
      const delivered = Result.isSuccess(delivery)
      const reason = !health.healthy
        ? `skipped: ${health.problems.join("; ")}`
        : delivered
        ? `sent: ${health.tiers} tier supervisors running, timers on time`
        : `failed: ${delivery.failure.message}`
      const sent = health.healthy && delivered
      let skipLog: SkipLog | undefined = undefined
      if (!sent) skipLog = yield* noteSkip(input.skipLog, reason, now)
      else if (input.skipLog !== undefined) yield* Effect.logInfo(`watchdog pings resumed after: ${input.skipLog.reason}`)
      return {
        decision: { at: now, sent, reason, status },
        endedAt: yield* Clock.currentTimeMillis,
        statusKnownToSystemd: delivered && fields.STATUS !== undefined ? status : input.statusKnownToSystemd,
        skipLog
      }
    }).pipe(
      // A defect here must not stop the heartbeat timer: it becomes a failed decision (and no ping).
      Effect.catchCause((cause) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const reason = `failed: ${Cause.pretty(cause)}`
          return {
            decision: { at: now, sent: false, reason, status: "unknown" },
            endedAt: now,
            statusKnownToSystemd: input.statusKnownToSystemd,
            skipLog: yield* noteSkip(input.skipLog, reason, now)
          }
        })
      )
    )

  const livenessOf = (unit: string): Effect.Effect<ServiceLiveness> =>
    serviceManager.isActive(unit).pipe(
      Effect.map((state): ServiceLiveness => ({ unit, state, detail: null })),
      Effect.catch((error) =>
        Effect.succeed<ServiceLiveness>({
          unit,
          state: error._tag === "InvalidUnitName" ? "invalid" : "error",
          detail: error.message
        })
      )
    )

  /** `previous` is undefined before the first check. */
  const check = (previous: ReadonlyArray<ServiceLiveness> | undefined) =>
    Effect.gen(function*() {
      const services = yield* Effect.forEach(config.services, livenessOf, { concurrency: 4 })
      for (const now of services) {
        const before = previous?.find((p) => p.unit === now.unit)
        if (before?.state === now.state) continue
        const detail = now.detail === null ? "" : `: ${now.detail}`
        if (now.state === "active") {
          if (before !== undefined) yield* Effect.logInfo(`${now.unit} is active again (was ${before.state})`)
        } else {
          yield* Effect.logWarning(`${now.unit} is ${now.state}${detail}`)
        }
      }
      return { services, checkedAt: yield* Clock.currentTimeMillis }
    })

  const heartbeatReport = (context: PulseContext) =>
    intervalMs === undefined
      ? {
        enabled: false,
        intervalMs: null,
        reason: "systemd is not watching this process (no WATCHDOG_USEC for it): no pings are sent",
        last: null,
        lastSentAt: null
      }
      : {
        enabled: true,
        intervalMs,
        reason: context.lastDecision === undefined ? `the first heartbeat is due ${intervalMs} ms after start` : null,
        last: context.lastDecision ?? null,
        lastSentAt: context.lastSentAt ?? null
      }

  return setup({
    types: { context: {} as PulseContext, events: {} as Protocol.RequestOf<typeof Pulse>, emitted: {} as AgentEmitted },
    actors: { beat: env.fromEffect(beat), check: env.fromEffect(check) },
    delays: { heartbeatInterval: intervalMs ?? MIN_INTERVAL_MS, livenessInterval: livenessIntervalMs }
  }).createMachine({
    id: "PULSE",
    type: "parallel",
    context: {
      previousEndedAt: startedAt,
      statusKnownToSystemd: undefined,
      skipLog: undefined,
      lastDecision: undefined,
      lastSentAt: undefined,
      services: config.services.map((unit) => ({
        unit,
        state: Result.isFailure(validateUnitName(unit)) ? "invalid" : "unknown",
        detail: "not checked yet"
      })),
      checkedAt: undefined
    },
    on: {
      heartbeat: { actions: emit(({ context }) => replyWith(heartbeatReport(context))) },
      liveness: {
        actions: emit(({ context }) =>
          replyWith({ intervalMs: livenessIntervalMs, checkedAt: context.checkedAt ?? null, services: context.services })
        )
      }
    },
    states: {
      watchdog: {
        initial: intervalMs === undefined ? "disabled" : "waiting",
        states: {
          disabled: {},
          waiting: { after: { heartbeatInterval: "beating" } },
          beating: {
            invoke: {
              src: "beat",
              input: ({ context }) => ({
                previousEndedAt: context.previousEndedAt,
                statusKnownToSystemd: context.statusKnownToSystemd,
                skipLog: context.skipLog
              }),
              onDone: {
                target: "waiting",
                actions: assign(({ context, event }) => ({
                  previousEndedAt: event.output.endedAt,
                  statusKnownToSystemd: event.output.statusKnownToSystemd,
                  skipLog: event.output.skipLog,
                  lastDecision: event.output.decision,
                  lastSentAt: event.output.decision.sent ? event.output.decision.at : context.lastSentAt
                }))
              }
            }
          }
        }
      },
      services: {
        initial: config.services.length === 0 ? "none" : "checking",
        states: {
          none: {},
          waiting: { after: { livenessInterval: "checking" } },
          checking: {
            invoke: {
              src: "check",
              input: ({ context }) => context.checkedAt === undefined ? undefined : context.services,
              onDone: {
                target: "waiting",
                actions: assign(({ event }) => ({ services: event.output.services, checkedAt: event.output.checkedAt }))
              }
            }
          }
        }
      }
    }
  })
})
