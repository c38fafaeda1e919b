/**
 * Expected failures of the actor runtime. Each names what went wrong and the
 * agent involved, so a CLI, socket or D-Bus caller can print it as is.
 */
import { Result, Schema } from "effect"

export class UnknownAgent extends Schema.TaggedError<UnknownAgent>()("UnknownAgent", {
  agent: Schema.String,
  known: Schema.Array(Schema.String)
}) {
  override get message() {
    return `unknown agent '${this.agent}'; known agents: ${this.known.join(", ")}`
  }
}

/** An operator's restart, stop or start that the supervisor could not do, and why. */
export class OperationRefused extends Schema.TaggedError<OperationRefused>()("OperationRefused", {
  agent: Schema.String,
  op: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `cannot ${this.op} ${this.agent}: ${this.reason}`
  }
}

export class MailboxFull extends Schema.TaggedError<MailboxFull>()("MailboxFull", {
  agent: Schema.String,
  capacity: Schema.Number
}) {
  override get message() {
    return `mailbox of ${this.agent} is full (capacity ${this.capacity}); message refused, try again later`
  }
}

export class AgentStopped extends Schema.TaggedError<AgentStopped>()("AgentStopped", {
  agent: Schema.String
}) {
  override get message() {
    return `agent ${this.agent} is stopped and cannot receive messages`
  }
}

export class InvalidMessage extends Schema.TaggedError<InvalidMessage>()("InvalidMessage", {
  agent: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `invalid message for ${this.agent}: ${this.reason}`
  }
}

export class AskTimeout extends Schema.TaggedError<AskTimeout>()("AskTimeout", {
  agent: Schema.String,
  messageType: Schema.String,
  timeoutMs: Schema.Number
}) {
  override get message() {
    return `${this.agent} did not answer '${this.messageType}' within ${this.timeoutMs} ms`
  }
}

/**
 * The agent handled the message and refused it with one of the rejections its
 * protocol declares for that message (or a universal one: NotBuiltYet,
 * NotAccepted). `rejection` is its wire form, `{_tag, ...fields}`: a client
 * decodes it with the message's rejection schemas; `reason` is its human text.
 */
export class Rejected extends Schema.TaggedError<Rejected>()("Rejected", {
  agent: Schema.String,
  messageType: Schema.String,
  rejection: Schema.StructWithRest(Schema.Struct({ _tag: Schema.String }), [Schema.Record(Schema.String, Schema.Unknown)]),
  reason: Schema.String
}) {
  override get message() {
    return `${this.agent} '${this.messageType}': ${this.reason}`
  }
}

/**
 * The agent answered outside its protocol: a reply its reply schema refuses,
 * or a rejection it does not declare. A bug in the agent, logged as an error;
 * the caller is told rather than handed a value no client could decode.
 */
export class ProtocolViolation extends Schema.TaggedError<ProtocolViolation>()("ProtocolViolation", {
  agent: Schema.String,
  messageType: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${this.agent} answered '${this.messageType}' outside its protocol: ${this.reason}`
  }
}

/** The agent crashed while handling the message; its supervisor restarts it per policy. */
export class AgentCrashed extends Schema.TaggedError<AgentCrashed>()("AgentCrashed", {
  agent: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `agent ${this.agent} crashed: ${this.reason}`
  }
}

/**
 * A supervisor exceeded its restart intensity and gave up; its parent decides what next.
 * Either more than `maxRestarts` restarts fell within `withinMs`, or (`inARow`) one child
 * failed again after that many restarts in a row, none of whose incarnations ran the stable period.
 */
export class IntensityExceeded extends Schema.TaggedError<IntensityExceeded>()("IntensityExceeded", {
  supervisor: Schema.String,
  maxRestarts: Schema.Number,
  withinMs: Schema.Number,
  lastChild: Schema.String,
  inARow: Schema.optional(Schema.Struct({ restarts: Schema.Number, stableAfterMs: Schema.Number }))
}) {
  override get message() {
    return this.inARow === undefined
      ? `supervisor ${this.supervisor} gave up: more than ${this.maxRestarts} restarts within ${this.withinMs} ms (last failing child: ${this.lastChild})`
      : `supervisor ${this.supervisor} gave up: ${this.lastChild} failed again after ${this.inARow.restarts} restarts in a row without once running ${this.inARow.stableAfterMs} ms`
  }
}

export class SystemShuttingDown extends Schema.TaggedError<SystemShuttingDown>()("SystemShuttingDown", {}) {
  override get message() {
    return "the runtime is shutting down and accepts no new messages"
  }
}

/** The classes of access a caller can have, lowest first; `none` is a caller no role names. */
export const AccessClass = Schema.Literals(["none", "read", "operate", "admin"])
export type AccessClass = typeof AccessClass.Type

/**
 * The caller may not do this: its class is below what the message (or op)
 * needs. The refusal names the caller, what it asked for and what that
 * needs, and nothing about the request's contents (a path it names is never
 * looked at for a caller who may not send the message).
 */
export class AccessDenied extends Schema.TaggedError<AccessDenied>()("AccessDenied", {
  caller: Schema.Struct({ uid: Schema.Int, via: Schema.String }),
  /** What was asked: "LATTICE 'destroy'", "stop LATTICE", "agents". */
  what: Schema.String,
  needed: Schema.Literals(["read", "operate", "admin", "runtime"]),
  class: AccessClass
}) {
  override get message() {
    const who = this.caller.via === "daemon" ? "the daemon" : `uid ${this.caller.uid}`
    return this.needed === "runtime"
      ? `${who} may not send ${this.what}: only the daemon itself sends it`
      : `${who} may not send ${this.what}: it needs ${this.needed} access, and ${who} has ${this.class === "none" ? "none" : `${this.class} access`}`
  }
}

/** A state-changing request could not be recorded in the audit ledger, so it was not carried out. */
export class AuditUnavailable extends Schema.TaggedError<AuditUnavailable>()("AuditUnavailable", {
  what: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${this.what} was not carried out: it could not be recorded in the audit ledger (${this.reason})`
  }
}

/** Everything `tell` can fail with. */
export type TellError = UnknownAgent | MailboxFull | AgentStopped | InvalidMessage | SystemShuttingDown | AccessDenied | AuditUnavailable
/** Everything `ask` can fail with. */
export type AskError = TellError | AskTimeout | Rejected | AgentCrashed | ProtocolViolation

/** Renders any thrown value or defect as one line for status and logs. */
export const describeError = (error: unknown): string => {
  if (error instanceof Error) return error.message || error.name
  if (typeof error === "string") return error
  // JSON.stringify throws on a cycle or a BigInt: then the plain string form will do.
  return Result.getOrElse(Result.try(() => JSON.stringify(error) ?? String(error)), () => String(error))
}
