/** ORBIT's protocol: the single source of its message schemas, replies, rejections and access classes. */
import { Schema } from "effect"
import { AccessDenied } from "../../runtime/Errors.ts"
import * as Protocol from "../../runtime/Protocol.ts"
import { AgentMessageObject, AgentName, Name } from "../shared/fields.ts"

/** A day: jitter spreads runs out, it does not postpone them to another day. */
export const MAX_JITTER_MS = 86_400_000

export const JitterMs = Schema.Int.check(
  Schema.isBetween({ minimum: 0, maximum: MAX_JITTER_MS }, { expected: `whole milliseconds from 0 to ${MAX_JITTER_MS}` })
)

export const ScheduleFields = {
  name: Name,
  cron: Schema.String,
  target: AgentName,
  message: AgentMessageObject,
  jitterMs: Schema.optionalKey(JitterMs)
}

const IsoTime = Schema.String

export const ScheduleView = Schema.Struct({
  name: Schema.String,
  cron: Schema.String,
  target: Schema.String,
  messageType: Schema.String,
  jitterMs: Schema.Int,
  /** From the configuration, or added at run time (and persisted). */
  origin: Schema.Literals(["config", "added"]),
  /** Whose request the schedule sends, checked again each time it fires: "the daemon", "uid 1000". */
  addedBy: Schema.String,
  nextRun: Schema.NullOr(IsoTime),
  lastRun: Schema.NullOr(IsoTime),
  /** "sent", or why the last tell failed. */
  lastOutcome: Schema.NullOr(Schema.String)
})

export class ScheduleExists extends Schema.TaggedError<ScheduleExists>()("ScheduleExists", { name: Schema.String }) {
  override get message() {
    return `a schedule named '${this.name}' already exists; remove it first to replace it`
  }
}

/** What is wrong with a schedule: a field, its cron expression, or its message (the target does not take it). */
export class InvalidSchedule extends Schema.TaggedError<InvalidSchedule>()("InvalidSchedule", {
  name: Schema.String,
  problem: Schema.Literals(["fields", "cron", "target"]),
  /** For a `target` problem: the agent that does not take the message. */
  target: Schema.optionalKey(Schema.String),
  reason: Schema.String
}) {
  /** What is wrong, without the schedule's name. */
  get explanation(): string {
    return this.problem === "target" ? `cannot send to ${this.target}: ${this.reason}` : this.reason
  }
  override get message() {
    return `schedule '${this.name}' ${this.problem === "target" ? "" : "is invalid: "}${this.explanation}`
  }
}

export class NoSuchSchedule extends Schema.TaggedError<NoSuchSchedule>()("NoSuchSchedule", {
  name: Schema.String,
  known: Schema.Array(Schema.String)
}) {
  override get message() {
    return `no schedule named '${this.name}'; schedules: ${this.known.join(", ") || "none"}`
  }
}

export const Orbit = Protocol.make("ORBIT", [
  Protocol.message("add", {
    doc: "adds a schedule that sends a message to an agent on a cron expression, with optional jitter; kept across restarts. " +
      "The message is sent on the adder's behalf: the adder must be allowed to send it, now and each time it fires",
    access: "operate",
    fields: ScheduleFields,
    reply: Schema.Struct({ added: Schema.String, nextRun: Schema.NullOr(IsoTime) }),
    rejections: [ScheduleExists, InvalidSchedule, AccessDenied]
  }),
  Protocol.message("remove", {
    doc: "removes a schedule (a configured one stays removed until added again)",
    access: "operate",
    fields: { name: Name },
    reply: Schema.Struct({ removed: Schema.String }),
    rejections: [NoSuchSchedule]
  }),
  Protocol.message("list", {
    doc: "the schedules with their next and last runs",
    access: "read",
    reply: Schema.Struct({ timeZone: Schema.String, schedules: Schema.Array(ScheduleView) })
  })
])
