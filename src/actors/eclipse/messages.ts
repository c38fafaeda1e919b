/** ECLIPSE's protocol: the single source of its message schemas, replies, rejections and access classes. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"

export const DEFAULT_DEADLINE_MS = 2_000
/** Callers wait for the report with their own ask timeout (5 s by default); a check must end well before. */
export const MAX_DEADLINE_MS = 30_000

export const DeadlineMs = Schema.Int.check(
  Schema.isBetween(
    { minimum: 1, maximum: MAX_DEADLINE_MS },
    { expected: `whole milliseconds from 1 to ${MAX_DEADLINE_MS}` }
  )
)

export const Troubled = Schema.Struct({
  name: Schema.String,
  restarts: Schema.Int,
  lastError: Schema.NullOr(Schema.String)
})
export type Troubled = typeof Troubled.Type

export const HealthReport = Schema.Struct({
  /** True when every agent that should run answered in time; stopped agents do not count against it. */
  ok: Schema.Boolean,
  checkedAt: Schema.String,
  deadlineMs: Schema.Int,
  durationMs: Schema.Finite,
  /** Agents that answered the ping within the deadline. */
  responsive: Schema.Int,
  /** Running agents that did not answer within the deadline (busy, stuck, or a full mailbox). */
  unresponsive: Schema.Array(Schema.String),
  /** Agents their supervisor gave up on. */
  failed: Schema.Array(Troubled),
  /** Agents that crashed and wait for their supervisor to start them again. */
  restarting: Schema.Array(Troubled),
  /** Agents that ended normally (transient or temporary ones) or were shut down. */
  stopped: Schema.Array(Schema.String)
})
export type HealthReport = typeof HealthReport.Type

export class NoCheckYet extends Schema.TaggedError<NoCheckYet>()("NoCheckYet", {}) {
  override get message() {
    return "no self-check has run yet; send {\"type\":\"check\"} to run one"
  }
}

export const Eclipse = Protocol.make("ECLIPSE", [
  Protocol.message("check", {
    doc: "pings every other agent with one deadline and sorts them into responsive, unresponsive, restarting, failed and stopped",
    access: "read",
    fields: { deadlineMs: Schema.optionalKey(DeadlineMs) },
    reply: HealthReport
  }),
  Protocol.message("report", {
    doc: "the last self-check's report",
    access: "read",
    reply: HealthReport,
    rejections: [NoCheckYet]
  })
])
