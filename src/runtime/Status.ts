/**
 * What the runtime reports about itself — an agent's status, a supervisor's,
 * the tree, the summary, an agent's description — as schemas, so that every
 * client (the CLI, the inspector, D-Bus, agents such as ECLIPSE) decodes the
 * same shapes the runtime builds. A leaf module: it imports only effect.
 */
import { Schema } from "effect"

export const Tier = Schema.Literals(["1", "2", "3", "4", "5-8"])
export type Tier = typeof Tier.Type

export const RestartType = Schema.Literals(["permanent", "transient", "temporary"])
export type RestartType = typeof RestartType.Type

export const Strategy = Schema.Literals(["one_for_one", "one_for_all", "rest_for_one"])
export type Strategy = typeof Strategy.Type

export const Lifecycle = Schema.Literals(["idle", "running", "restarting", "stopped", "failed"])
export type Lifecycle = typeof Lifecycle.Type

/**
 * Whether an agent does real work yet: every capability available (`ready`),
 * some (`partial`), or none (`planned`: it answers every message with NotBuiltYet).
 */
export const Readiness = Schema.Literals(["ready", "partial", "planned"])
export type Readiness = typeof Readiness.Type

/** One capability of an agent, and whether it exists yet — said honestly. */
export const Capability = Schema.Struct({
  name: Schema.String,
  available: Schema.Boolean,
  detail: Schema.String
})
export type Capability = typeof Capability.Type

export const readinessOf = (capabilities: ReadonlyArray<Capability>): Readiness => {
  const available = capabilities.filter((capability) => capability.available).length
  return available === capabilities.length ? "ready" : available === 0 ? "planned" : "partial"
}

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Micros = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))
const EpochMs = Schema.Finite

export const AgentStatus = Schema.Struct({
  name: Schema.String,
  tier: Tier,
  readiness: Readiness,
  lifecycle: Lifecycle,
  incarnation: Count,
  /** The machine's state value ("ready", or a JSON object for parallel states); "-" before the first start. */
  state: Schema.String,
  handled: Count,
  rejected: Count,
  mailboxDepth: Count,
  mailboxHighWater: Count,
  mailboxCapacity: Count,
  handlingP50Us: Micros,
  handlingP99Us: Micros,
  restarts: Count,
  deadLetters: Count,
  lastError: Schema.NullOr(Schema.String),
  lastRestartAt: Schema.NullOr(EpochMs)
})
export type AgentStatus = typeof AgentStatus.Type

export const Intensity = Schema.Struct({
  /** MaxR: restarts allowed within the window. */
  maxRestarts: Count,
  /** MaxT: the window, in milliseconds. */
  withinMs: Count,
  /**
   * Restarts allowed to one child in a row, each after an incarnation that ran less than
   * the backoff's `resetAfterMs`, however far apart; one more failure escalates. Default:
   * `maxRestarts`. The runtime's status always reports the value in force.
   */
  maxRestartsInARow: Schema.optional(Count)
})
export type Intensity = typeof Intensity.Type

export const Backoff = Schema.Struct({
  /** Delay before the second consecutive restart; the first is immediate. */
  initialMs: Count,
  maxMs: Count,
  /** 0..1: the delay is spread uniformly over ±jitter of itself. */
  jitter: Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 })),
  /** A child that ran this long without failing starts over at an immediate restart. */
  resetAfterMs: Count
})
export type Backoff = typeof Backoff.Type

export const SupervisorStatus = Schema.Struct({
  name: Schema.String,
  strategy: Strategy,
  intensity: Intensity,
  backoff: Backoff,
  lifecycle: Lifecycle,
  restarts: Count,
  lastError: Schema.NullOr(Schema.String)
})
export type SupervisorStatus = typeof SupervisorStatus.Type

export type TreeNode =
  | { readonly kind: "supervisor"; readonly status: SupervisorStatus; readonly children: ReadonlyArray<TreeNode> }
  | { readonly kind: "agent"; readonly status: AgentStatus }

export const TreeNode: Schema.Codec<TreeNode> = Schema.Union([
  Schema.Struct({
    kind: Schema.Literal("supervisor"),
    status: SupervisorStatus,
    children: Schema.Array(Schema.suspend((): Schema.Codec<TreeNode> => TreeNode))
  }),
  Schema.Struct({ kind: Schema.Literal("agent"), status: AgentStatus })
])

export const SystemLifecycle = Schema.Literals(["running", "stopping", "stopped", "failed"])

export const SystemSummary = Schema.Struct({
  agents: Count,
  running: Count,
  restarting: Count,
  failed: Count,
  stopped: Count,
  /** Agents that do real work: every capability available. */
  ready: Count,
  /** Agents not built yet: they answer every message with NotBuiltYet. */
  planned: Count,
  deadLetters: Count,
  escalations: Schema.Array(Schema.String),
  lifecycle: SystemLifecycle
})
export type SystemSummary = typeof SystemSummary.Type

/**
 * The reply to a message the machine handled without answering (one meant to
 * be told, such as a counter's `inc`): the state it left the machine in.
 */
export const Ack = Schema.Struct({ type: Schema.Literal("ack"), state: Schema.String })
export type Ack = typeof Ack.Type

/** The reply to `ping`. */
export const Pong = Schema.Struct({ type: Schema.Literal("pong"), agent: Schema.String, state: Schema.String })
export type Pong = typeof Pong.Type

export const RecentMessage = Schema.Struct({
  type: Schema.String,
  durationUs: Micros,
  outcome: Schema.Literals(["ok", "refused", "crashed"]),
  at: EpochMs
})
export type RecentMessage = typeof RecentMessage.Type

/** A JSON Schema (draft 2020-12) document's schema object, as `describe` carries it. */
export const JsonSchema = Schema.Record(Schema.String, Schema.Json)
export type JsonSchema = typeof JsonSchema.Type

export const Access = Schema.Literals(["read", "operate", "admin", "runtime"])
export type Access = typeof Access.Type

/** One message type as `describe` tells it: who may send it, and the JSON Schemas of its request, reply and rejections. */
export const MessageDescription = Schema.Struct({
  access: Access,
  doc: Schema.String,
  /** Present while the message waits for a capability: it is answered with NotBuiltYet. */
  planned: Schema.optionalKey(Schema.String),
  request: JsonSchema,
  reply: JsonSchema,
  /** The agent's own rejections for this message; `universalRejections` of the description may come too. */
  rejections: Schema.Array(JsonSchema)
})
export type MessageDescription = typeof MessageDescription.Type

/** The reply to `describe`. */
export const Description = Schema.Struct({
  name: Schema.String,
  tier: Tier,
  description: Schema.String,
  readiness: Readiness,
  capabilities: Schema.Array(Capability),
  /** Every message type the agent accepts, the runtime's own (ping, status, describe) included. */
  accepts: Schema.Array(Schema.String),
  restart: RestartType,
  /** The machine's state nodes, as dotted paths. */
  states: Schema.Array(Schema.String),
  /** The last messages handled, newest first. */
  recent: Schema.Array(RecentMessage),
  messages: Schema.Record(Schema.String, MessageDescription),
  /** Rejections the runtime may answer any message with (NotBuiltYet, NotAccepted). */
  universalRejections: Schema.Array(JsonSchema)
})
export type Description = typeof Description.Type
