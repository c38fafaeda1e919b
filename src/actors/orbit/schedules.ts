/**
 * ORBIT's schedule table, as plain functions of time: when each schedule is
 * due, which are due now, how long to sleep, what is persisted. The machine
 * supplies the clock reading and the jitter; nothing here reads either.
 *
 * Catch-up: the persisted last run of a schedule is the anchor. If the first
 * slot after it has already passed when ORBIT starts, the schedule is due at
 * once — one run however many slots were missed, as anacron does — and
 * after any run the next slot is counted from the run, so late runs coalesce.
 */
import { Cause, type Cron, type DateTime, Exit, Result, Schema } from "effect"
import type { AgentMessage, SystemHandle } from "../../runtime/Agent.ts"
import { Caller, DAEMON } from "../../runtime/Caller.ts"
import { describeError } from "../../runtime/Errors.ts"
import * as Protocol from "../../runtime/Protocol.ts"
import type { ScheduleSpec } from "./config.ts"
import * as OrbitCron from "./cron.ts"
import { InvalidSchedule, Orbit } from "./messages.ts"

export interface Schedule {
  readonly name: string
  readonly expression: string
  readonly cron: Cron.Cron
  readonly target: string
  readonly message: AgentMessage
  readonly jitterMs: number
  /** From OrbitConfig, or added at run time (and persisted). */
  readonly origin: "config" | "added"
  /** Who added it: its message is sent on their behalf, and checked as theirs each time. */
  readonly owner: Caller
  /** Epoch ms of the next run, jitter included; undefined when no run can be found. */
  readonly dueAt: number | undefined
  readonly lastRunAt: number | undefined
  /** "sent", or why the last tell failed. */
  readonly lastOutcome: string | undefined
}

/** The first run strictly after `afterMs`, delayed by `jitter`. */
export const dueAfter = (cron: Cron.Cron, afterMs: number, jitter: number): number | undefined => {
  const slot = OrbitCron.nextRun(cron, afterMs)
  return slot === undefined ? undefined : slot + jitter
}

/**
 * When a schedule is first due after ORBIT starts at `now`: at once when a slot
 * passed since its last run (one catch-up run), else at its next slot. A last
 * run in the future (the clock was set back) counts as now.
 */
export const dueOnStart = (
  cron: Cron.Cron,
  lastRunAt: number | undefined,
  now: number,
  jitter: number
): number | undefined => {
  if (lastRunAt !== undefined) {
    const missed = OrbitCron.nextRun(cron, Math.min(lastRunAt, now))
    if (missed !== undefined && missed <= now) return now + jitter
  }
  return dueAfter(cron, now, jitter)
}

export const isDue = (schedule: Schedule, now: number): boolean =>
  schedule.dueAt !== undefined && schedule.dueAt <= now

/**
 * How long to sleep before looking again. At most a minute, like cron, so a
 * wall clock that jumps forward (NTP at boot, resume from suspend) delays a
 * run by a minute at most, and no timer exceeds what a platform timer holds.
 */
export const MAX_SLEEP_MS = 60_000

export const sleepMs = (schedules: ReadonlyArray<Schedule>, now: number): number =>
  schedules.reduce(
    (sleep, schedule) => (schedule.dueAt === undefined ? sleep : Math.min(sleep, Math.max(0, schedule.dueAt - now))),
    MAX_SLEEP_MS
  )

// ---- validation -------------------------------------------------------------

const decodeAdd = Protocol.codecs(Orbit.get("add")!).decodeRequest

/**
 * Checks what an `add` (or a configured or persisted schedule) asks for: the
 * field shapes, the cron expression, and that the target exists and accepts
 * the message.
 */
export const check = (
  spec: ScheduleSpec,
  zone: DateTime.TimeZone,
  system: Pick<SystemHandle, "validate">
): Result.Result<Cron.Cron, InvalidSchedule> => {
  const invalid = (problem: InvalidSchedule["problem"], reason: string) =>
    Result.fail(new InvalidSchedule({ name: spec.name, problem, reason, ...(problem === "target" ? { target: spec.target } : {}) }))
  const shape = decodeAdd({ ...spec, type: "add" })
  if (Exit.isFailure(shape)) return invalid("fields", Protocol.failureText(shape.cause))
  const cron = OrbitCron.parse(spec.cron, zone)
  if (Result.isFailure(cron)) return invalid("cron", cron.failure.message)
  const accepted = system.validate(spec.target, spec.message)
  if (Exit.isFailure(accepted)) return invalid("target", describeError(Cause.squash(accepted.cause)))
  return Result.succeed(cron.success)
}

// ---- persistence --------------------------------------------------------------

/** The key of ORBIT's document in the StateStore. */
export const STATE_KEY = "orbit"

const PersistedSpec = Schema.Struct({
  name: Schema.String,
  cron: Schema.String,
  target: Schema.String,
  message: Schema.StructWithRest(Schema.Struct({ type: Schema.String }), [Schema.Record(Schema.String, Schema.Unknown)]),
  jitterMs: Schema.optionalKey(Schema.Number),
  /** Absent in a table saved before schedules had owners: such a schedule is not run again (see startingSpecs). */
  owner: Schema.optionalKey(Caller)
})

/** What survives a restart: when each schedule last ran, and the operator's changes to the table. */
export const Persisted = Schema.Struct({
  lastRuns: Schema.optionalKey(Schema.Record(Schema.String, Schema.Finite)),
  added: Schema.optionalKey(Schema.Array(PersistedSpec)),
  removed: Schema.optionalKey(Schema.Array(Schema.String))
})
export type Persisted = typeof Persisted.Type

export const decodePersisted = Schema.decodeUnknownExit(Persisted)

export const specOf = (schedule: Schedule): ScheduleSpec => ({
  name: schedule.name,
  cron: schedule.expression,
  target: schedule.target,
  message: schedule.message,
  ...(schedule.jitterMs > 0 ? { jitterMs: schedule.jitterMs } : {})
})

export const persistedOf = (
  schedules: ReadonlyArray<Schedule>,
  removed: ReadonlyArray<string>
): Persisted => ({
  lastRuns: Object.fromEntries(
    schedules.flatMap((s) => (s.lastRunAt === undefined ? [] : [[s.name, s.lastRunAt] as const]))
  ),
  added: schedules.filter((s) => s.origin === "added").map((s) => ({ ...specOf(s), owner: s.owner })),
  removed: [...removed]
})

/**
 * The table ORBIT starts with: the configured schedules the operator did not
 * remove or replace, then the ones the operator added.
 */
export const startingSpecs = (
  configured: ReadonlyArray<ScheduleSpec>,
  persisted: Persisted
): ReadonlyArray<{ readonly spec: ScheduleSpec; readonly origin: Schedule["origin"]; readonly owner: Caller | undefined }> => {
  const added = persisted.added ?? []
  const replaced = new Set([...(persisted.removed ?? []), ...added.map((spec) => spec.name)])
  return [
    ...configured.filter((spec) => !replaced.has(spec.name)).map((spec) => ({ spec, origin: "config" as const, owner: DAEMON })),
    ...added.map(({ owner, ...spec }) => ({ spec, origin: "added" as const, owner }))
  ]
}
