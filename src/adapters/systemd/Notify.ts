/**
 * Port: sd_notify(3) — telling systemd that the daemon is ready, what it is
 * doing, that it is alive (the watchdog) and that it is stopping. Also the
 * exact messages the daemon sends, so every caller says the same thing.
 */
import { Context, Effect, Result, Schema } from "effect"
import type { SystemSummary } from "../../runtime/Status.ts"

/** One notification: `KEY=value` fields sent together in one datagram. */
export type NotifyFields = Readonly<Record<string, string>>

export class NotifyError extends Schema.TaggedError<NotifyError>()("NotifyError", {
  reason: Schema.String
}) {
  override get message() {
    return `cannot notify systemd: ${this.reason}`
  }
}

export class Notify extends Context.Service<Notify, {
  /** Sends the fields as one notification; a no-op when systemd is not listening (no $NOTIFY_SOCKET). */
  readonly notify: (fields: NotifyFields) => Effect.Effect<void, NotifyError>
}>()("sigmavault/adapters/systemd/Notify") {}

/** sd_notify variable names are upper-case words; a value is one line (a newline would start another variable). */
const FIELD_NAME = /^[A-Z][A-Z0-9_]*$/

/** The `KEY=value` lines of a notification, or why it cannot be sent. */
export const notificationLines = (fields: NotifyFields): Result.Result<ReadonlyArray<string>, NotifyError> => {
  const lines: Array<string> = []
  for (const [key, value] of Object.entries(fields)) {
    if (!FIELD_NAME.test(key)) return Result.fail(new NotifyError({ reason: `invalid variable name ${JSON.stringify(key)}` }))
    if (/[\n\0]/.test(value)) {
      return Result.fail(new NotifyError({ reason: `the value of ${key} holds a newline or NUL` }))
    }
    lines.push(`${key}=${value}`)
  }
  return lines.length === 0 ? Result.fail(new NotifyError({ reason: "an empty notification" })) : Result.succeed(lines)
}

/** "40/40 agents running", or "degraded: 38/40 running, 2 restarting" (failed and stopped agents named when there are some). */
export const statusText = (summary: Pick<SystemSummary, "agents" | "running" | "restarting" | "failed" | "stopped">): string => {
  if (summary.running === summary.agents) return `${summary.running}/${summary.agents} agents running`
  const parts = [`${summary.running}/${summary.agents} running`]
  if (summary.restarting > 0) parts.push(`${summary.restarting} restarting`)
  if (summary.failed > 0) parts.push(`${summary.failed} failed`)
  if (summary.stopped > 0) parts.push(`${summary.stopped} stopped`)
  return `degraded: ${parts.join(", ")}`
}

type Counts = Parameters<typeof statusText>[0]

export const ready = (summary: Counts): NotifyFields => ({ READY: "1", STATUS: statusText(summary) })
export const status = (summary: Counts): NotifyFields => ({ STATUS: statusText(summary) })
export const stopping = (): NotifyFields => ({ STOPPING: "1" })
export const watchdog = (): NotifyFields => ({ WATCHDOG: "1" })

/**
 * How often to ping the watchdog, as sd_watchdog_enabled(3) decides: only when
 * WATCHDOG_USEC is a positive integer and WATCHDOG_PID, if set, is this
 * process. systemd recommends pinging at half the timeout. Undefined means
 * systemd is not watching this process.
 */
export const watchdogIntervalMs = (
  env: { readonly WATCHDOG_USEC?: string | undefined; readonly WATCHDOG_PID?: string | undefined },
  pid: number
): number | undefined => {
  const usec = env.WATCHDOG_USEC?.trim()
  if (usec === undefined || !/^\d+$/.test(usec)) return undefined
  const value = Number(usec)
  if (!Number.isSafeInteger(value) || value <= 0) return undefined
  const watchdogPid = env.WATCHDOG_PID?.trim()
  if (watchdogPid !== undefined && watchdogPid !== "" && watchdogPid !== String(pid)) return undefined
  return Math.max(1, Math.floor(value / 2 / 1000))
}

/** Sends a notification; a failure is logged as a warning, never fatal (the daemon runs without systemd too). */
export const sendOrWarn = (fields: NotifyFields): Effect.Effect<void, never, Notify> =>
  Effect.gen(function*() {
    const notify = yield* Notify
    yield* notify.notify(fields).pipe(Effect.catch((error) => Effect.logWarning(error.message)))
  })
