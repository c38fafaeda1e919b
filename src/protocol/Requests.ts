/**
 * The control-socket requests and replies (docs/protocol.md). Every request
 * carries an `id` that its reply echoes; replies may come out of order. Each
 * op has the schema of its result, which clients decode with, and the access
 * class a caller needs (`tell` and `ask` need their message's class).
 */
import { Cause, Exit, Predicate, Schema } from "effect"
import type { Access } from "../runtime/Protocol.ts"
import { InspectionEvent } from "../runtime/Inspection.ts"
import { AgentStatus, SystemSummary, TreeNode } from "../runtime/Status.ts"
import { MAX_TOPIC_BUFFER, type Topic, TOPIC_NAMES } from "../runtime/Topics.ts"

const Id = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Names = Schema.Array(Schema.String)

export const Request = Schema.Union([
  Schema.Struct({ id: Id, op: Schema.Literal("tell"), agent: Schema.String, message: Schema.Unknown }),
  Schema.Struct({
    id: Id,
    op: Schema.Literal("ask"),
    agent: Schema.String,
    message: Schema.Unknown,
    timeoutMs: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 3_600_000 })))
  }),
  Schema.Struct({ id: Id, op: Schema.Literal("agents") }),
  Schema.Struct({ id: Id, op: Schema.Literal("status") }),
  Schema.Struct({
    id: Id,
    op: Schema.Literal("subscribe"),
    agents: Schema.optionalKey(Names),
    types: Schema.optionalKey(Names)
  }),
  Schema.Struct({ id: Id, op: Schema.Literal("unsubscribe"), subscription: Id }),
  /** STREAM's topics (docs/topics.md): one buffer of `buffer` events for the whole subscription, every loss counted and told. */
  Schema.Struct({
    id: Id,
    op: Schema.Literal("watch"),
    topics: Schema.NonEmptyArray(Schema.Literals(TOPIC_NAMES as unknown as readonly [Topic, ...Array<Topic>])),
    buffer: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: MAX_TOPIC_BUFFER })))
  }),
  Schema.Struct({ id: Id, op: Schema.Literals(["restart", "stop", "start"]), agent: Schema.String })
])
export type Request = typeof Request.Type

export const OPS = ["tell", "ask", "agents", "status", "subscribe", "unsubscribe", "watch", "restart", "stop", "start"] as const
export type Op = (typeof OPS)[number]

/** The daemon at a glance: the `status` op's result. */
export const DaemonStatus = Schema.Struct({
  version: Schema.String,
  pid: Schema.Int,
  uptimeSeconds: Schema.Finite,
  socket: Schema.String,
  connections: Schema.Int,
  rssBytes: Schema.Finite,
  eventLoopLagMs: Schema.Finite,
  summary: SystemSummary,
  agents: Schema.Array(AgentStatus)
})
export type DaemonStatus = typeof DaemonStatus.Type

/** What each op answers; `ask` answers with the agent's reply, whose schema its protocol has. */
export const OpResult = {
  tell: Schema.Struct({ accepted: Schema.Literal(true) }),
  ask: Schema.Unknown,
  agents: TreeNode,
  status: DaemonStatus,
  subscribe: Schema.Struct({ subscription: Schema.Int }),
  unsubscribe: Schema.Struct({ unsubscribed: Schema.Int }),
  watch: Schema.Struct({
    subscription: Schema.Int,
    topics: Schema.Array(Schema.String),
    tags: Schema.Array(Schema.String),
    buffer: Schema.Int
  }),
  restart: Schema.Struct({ agent: Schema.String, op: Schema.Literal("restart"), status: Schema.NullOr(AgentStatus) }),
  stop: Schema.Struct({ agent: Schema.String, op: Schema.Literal("stop"), status: Schema.NullOr(AgentStatus) }),
  start: Schema.Struct({ agent: Schema.String, op: Schema.Literal("start"), status: Schema.NullOr(AgentStatus) })
} as const satisfies Record<Op, Schema.Top>

/** The access class of each op; `message` means the class of the message sent (its agent's protocol says). */
export const OP_ACCESS: Readonly<Record<Op, Access | "message">> = {
  tell: "message",
  ask: "message",
  agents: "read",
  status: "read",
  subscribe: "read",
  unsubscribe: "read",
  watch: "read",
  restart: "admin",
  stop: "admin",
  start: "admin"
}

export const ErrorBody = Schema.Struct({
  /** The error's tag: UnknownAgent, InvalidMessage, MailboxFull, AskTimeout, Rejected, BadRequest, FrameTooLarge, … */
  code: Schema.String,
  /** One line a person can act on. */
  message: Schema.String,
  /**
   * The error's fields. For `Rejected`: `{agent, messageType, rejection, reason}`, where
   * `rejection` is the agent's typed rejection `{_tag, ...}` its protocol declares.
   */
  detail: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown))
})
export type ErrorBody = typeof ErrorBody.Type

export type Reply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number | null; readonly ok: false; readonly error: ErrorBody }

/**
 * Pushed to a subscriber: one inspection event (with its topic, for a
 * `watch`), or how many it lost by not reading. A `watch` loss frame also
 * says when it was noticed (`at`, ms since the epoch), the subscription's
 * losses so far (`total`), and the sequence numbers the lost events lay
 * between (`afterSeq`, exclusive: the last event delivered before them, 0
 * for none; `beforeSeq`: the event that follows this frame).
 */
export const Push = Schema.Union([
  Schema.Struct({ subscription: Schema.Int, event: InspectionEvent, topic: Schema.optionalKey(Schema.String) }),
  Schema.Struct({
    subscription: Schema.Int,
    lost: Schema.Int,
    at: Schema.optionalKey(Schema.Number),
    total: Schema.optionalKey(Schema.Int),
    afterSeq: Schema.optionalKey(Schema.Int),
    beforeSeq: Schema.optionalKey(Schema.Int)
  })
])
export type Push = typeof Push.Type

const decodeRequest = Schema.decodeUnknownExit(Request)

export type Parsed =
  | { readonly ok: true; readonly request: Request }
  | { readonly ok: false; readonly id: number | null; readonly error: ErrorBody }

const bad = (id: number | null, message: string): Parsed => ({ ok: false, id, error: { code: "BadRequest", message } })

const isTimeout = (t: unknown): t is number => Number.isInteger(t) && (t as number) >= 1 && (t as number) <= 3_600_000

/**
 * The shapes almost every request has (tell and ask), checked by hand: the
 * schema decode cost more than the rest of a request. Anything else, valid
 * or not, goes through the schema, which also words the refusals.
 */
const fastPath = (raw: Record<string, unknown>, id: number): Request | undefined => {
  if (raw.op !== "ask" && raw.op !== "tell") return undefined
  let keys = 0
  for (const key in raw) {
    keys++
    if (key !== "id" && key !== "op" && key !== "agent" && key !== "message" && key !== "timeoutMs") return undefined
  }
  const { agent, message, timeoutMs } = raw
  if (typeof agent !== "string" || !("message" in raw)) return undefined
  if (raw.op === "tell") return keys === 4 ? { id, op: "tell", agent, message } : undefined
  if (timeoutMs === undefined) return keys === 4 ? { id, op: "ask", agent, message } : undefined
  return isTimeout(timeoutMs) ? { id, op: "ask", agent, message, timeoutMs } : undefined
}

/** Checks a decoded frame body; every refusal names what was wrong. */
export const parseRequest = (value: unknown): Parsed => {
  if (!Predicate.isObject(value) || Array.isArray(value)) {
    return bad(null, "a request is a map with an integer 'id' and an 'op', e.g. {id: 1, op: \"status\"}")
  }
  const raw = value as { readonly id?: unknown; readonly op?: unknown }
  const id = Number.isSafeInteger(raw.id) && (raw.id as number) >= 0 ? (raw.id as number) : null
  if (id === null) return bad(null, "a request needs a non-negative integer 'id' (its reply echoes it)")
  if (!Predicate.isString(raw.op)) return bad(id, `a request needs an 'op', one of: ${OPS.join(", ")}`)
  if (!(OPS as ReadonlyArray<string>).includes(raw.op)) {
    return bad(id, `unknown op '${raw.op}'; ops: ${OPS.join(", ")}`)
  }
  const fast = fastPath(raw as Record<string, unknown>, id)
  if (fast !== undefined) return { ok: true, request: fast }
  const decoded = decodeRequest(value, { onExcessProperty: "error" })
  if (Exit.isSuccess(decoded)) return { ok: true, request: decoded.value }
  const error = Cause.squash(decoded.cause)
  const detail = Schema.isSchemaError(error) ? error.message : String(error)
  return bad(id, `'${raw.op}' request: ${detail.replace(/\n\s*/g, " ")}`)
}
