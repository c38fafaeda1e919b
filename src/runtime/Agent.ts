/**
 * What an agent's author works with: the definition of an agent (its
 * protocol, its machine, its capabilities), the environment its machine is
 * built in (`AgentEnv`: the rest of the system, `fromEffect`, progress and
 * alerts), and the events a machine emits to answer the message in hand.
 *
 * The bridge that runs a machine under an Effect fiber is
 * `internal/Incarnation.ts`; agents never see it.
 */
import { Context, type Effect, type Exit, type Scope } from "effect"
import type { AnyStateMachine, PromiseActorLogic } from "xstate"
import type { AccessDenied, AskError, InvalidMessage, Rejected, TellError, UnknownAgent } from "./Errors.ts"
import type { Caller } from "./Caller.ts"
import type { FilteredSubscriber, InspectionEvent, SubscriptionInfo, SubscriptionLabel } from "./Inspection.ts"
import type * as Protocol from "./Protocol.ts"
import type { AgentStatus, Capability, RestartType, SystemSummary, Tier, TreeNode } from "./Status.ts"

export type { Capability, RestartType, Tier } from "./Status.ts"

/** Every message on every transport is an object discriminated by `type`. */
export interface AgentMessage {
  readonly type: string
  readonly [key: string]: unknown
}

/** What a typed `call` can fail with besides the message's own rejections. */
export type CallError = Exclude<AskError, Rejected> | Protocol.UniversalRejection

/** What an agent's machine sees of the runtime: other agents, by name or by protocol. */
export interface SystemHandle {
  /** Internal tell: waits while the target's mailbox is full (back-pressure). */
  readonly tell: (agent: string, message: AgentMessage) => Effect.Effect<void, TellError>
  /**
   * A tell on someone's behalf (a schedule firing for whoever added it):
   * checked and recorded as that caller's own request would be.
   */
  readonly tellAs: (caller: Caller, agent: string, message: AgentMessage) => Effect.Effect<void, TellError>
  /** An ask by name; the answer is the reply's wire form, unchecked by the asker. Prefer `call`. */
  /**
   * An ask on someone's behalf (an APEX task for whoever ran the plan, a FLUX rule's action for
   * whoever added it, a LINGUA sentence for whoever said it): the message is validated, checked
   * against that caller's rights and recorded as their own request would be; the answer is the
   * reply's wire form, like `ask`.
   */
  readonly askAs: (
    caller: Caller,
    agent: string,
    message: AgentMessage,
    options?: { readonly timeoutMs?: number }
  ) => Effect.Effect<unknown, AskError>
  readonly ask: (
    agent: string,
    message: AgentMessage,
    options?: { readonly timeoutMs?: number }
  ) => Effect.Effect<unknown, AskError>
  /**
   * A typed ask of the agent that speaks `protocol`: the request is checked
   * against its schema, the reply decoded with the reply schema, and a
   * rejection decoded into its class, so `Effect.catchTag` can branch on it.
   */
  readonly call: <P extends Protocol.AnyProtocol, const R extends Protocol.RequestOf<P>>(
    protocol: P,
    request: R,
    options?: { readonly timeoutMs?: number }
  ) => Effect.Effect<
    Protocol.Reply<Protocol.Typed<P, R["type"]>>,
    Protocol.Rejection<Protocol.Typed<P, R["type"]>> | CallError
  >
  readonly agentNames: () => ReadonlyArray<string>
  /** An agent's protocol: what it accepts and the access each message needs. */
  readonly protocolOf: (agent: string) => Protocol.AnyProtocol | undefined
  /**
   * Undefined when `caller` may send `agent` a message of type `type` (one
   * it declares); else the refusal it would get. Asks the policy only.
   */
  readonly permits: (caller: Caller, agent: string, type: string) => AccessDenied | undefined
  readonly status: (agent: string) => AgentStatus | undefined
  /** Checks a message against an agent's protocol, as an external injection would be checked. */
  readonly validate: (agent: string, input: unknown) => Exit.Exit<AgentMessage, InvalidMessage | UnknownAgent>
  /** The whole system at a glance, for agents that report on it (OMNISCIENT, ECLIPSE). */
  readonly summary: () => SystemSummary
  readonly tree: () => TreeNode
  /**
   * A subscription to the inspection stream for an agent that reacts to
   * events (NEXUS to alerts, STREAM to its topics): only events whose tag is
   * in `tags`; a bounded buffer (default 1024) that loses its oldest events
   * when the agent falls behind, counted by `lost()`. Ends with the scope.
   */
  readonly events: (options: {
    readonly tags: ReadonlyArray<InspectionEvent["_tag"]>
    readonly buffer?: number
    /** Who holds it, for `subscriptions()` (STREAM's named subscriptions say whose they are). */
    readonly label?: SubscriptionLabel
  }) => Effect.Effect<FilteredSubscriber, never, Scope.Scope>
  /** Every live filtered subscription of the inspection stream (socket, D-Bus, agents): STREAM lists them. */
  readonly subscriptions: () => ReadonlyArray<SubscriptionInfo>
  /** Inspection events of this tag published so far. */
  readonly publishedOf: (tag: InspectionEvent["_tag"]) => number
}

export interface AlertReport {
  readonly severity: "info" | "warning" | "critical"
  /** what it is about: "pool tank", "/dev/sdb" */
  readonly subject: string
  readonly text: string
  /**
   * The finding's stable code ("ZFS-8000-9P", "SMART-197", "FORTRESS-SSH-PASSWORD"), one the agent
   * lists in its `codes.ts`; MENTOR explains every listed code (src/actors/shared/findings.ts).
   */
  readonly code?: string | undefined
}

export interface ProgressReport {
  /** what the job is, e.g. "encrypt /srv/a.iso" */
  readonly job: string
  readonly done: number
  readonly total?: number | undefined
  /** what `done` counts, e.g. "bytes" */
  readonly unit: string
}

export interface IncidentReport {
  readonly id: string
  readonly state: "opened" | "updated" | "acknowledged" | "silenced" | "resolved"
  readonly severity: "info" | "warning" | "critical"
  readonly subject: string
  readonly title: string
  readonly alerts: number
}

export interface AgentEnvShape {
  readonly self: string
  readonly system: SystemHandle
  /**
   * Wraps an effect as XState promise logic for `invoke`. The agent stays busy
   * (handles nothing else) until the effect settles, like a gen_server call.
   */
  readonly fromEffect: <Output, Input = void>(
    run: (input: Input) => Effect.Effect<Output, unknown>
  ) => PromiseActorLogic<Output, Input>
  /** Reports a long job's progress on the inspection stream (`sigmavault events`); free while nobody watches. */
  readonly progress: (report: ProgressReport) => Effect.Effect<void>
  /**
   * Raises an alert: an `Alert` event on the inspection stream (`sigmavault
   * events --type alert`) and a log line at the matching level (info, warning, error).
   */
  readonly alert: (alert: AlertReport) => Effect.Effect<void>
  /** Announces an incident's change (NEXUS): an `Incident` event on the inspection stream and a log line. */
  readonly incident: (incident: IncidentReport) => Effect.Effect<void>
  /**
   * Replaces what `describe` says of one of the agent's capabilities with
   * live text (NEURAL's learned table); the definition's detail until then.
   */
  readonly describeCapability: (capability: string, detail: string) => void
  /**
   * Who sent the message in hand (the daemon itself for its own messages).
   * Read it when the work for the message starts: a handler of
   * `serviceMachine` is given it.
   */
  readonly caller: () => Caller
}

export class AgentEnv extends Context.Service<AgentEnv, AgentEnvShape>()("sigmavault/runtime/AgentEnv") {}

export interface AgentDefinition<R = never> {
  /** The protocol's agent. */
  readonly name: string
  readonly tier: Tier
  readonly description: string
  readonly capabilities: ReadonlyArray<Capability>
  readonly protocol: Protocol.AnyProtocol
  /**
   * Builds the machine for one incarnation; a restart builds it afresh. It may
   * use the incarnation's `Scope` (the runtime gives each incarnation one):
   * what it acquires there (an inspection subscription) ends with the incarnation.
   * Absent while every message of the protocol is planned: the runtime answers them.
   */
  readonly machine?: Effect.Effect<AnyStateMachine, never, R | AgentEnv>
  readonly restart?: RestartType
  readonly mailboxCapacity?: number
  readonly shutdownTimeoutMs?: number
}

/**
 * An agent's definition, named after its protocol. Each planned message must
 * name a capability the agent lists as unavailable: what `describe` and
 * `agents` say of the agent is then what it does.
 */
export const define = <R = never>(definition: Omit<AgentDefinition<R>, "name">): AgentDefinition<Exclude<R, AgentEnv | Scope.Scope>> => {
  const { protocol, capabilities } = definition
  for (const m of protocol.messages) {
    if (m.planned === undefined) continue
    const capability = capabilities.find((c) => c.name === m.planned)
    // Programming errors in an agent's folder, found when the roster loads.
    if (capability === undefined) throw new Error(`${protocol.agent} '${m.type}' waits for capability '${m.planned}', which it does not list`)
    if (capability.available) throw new Error(`${protocol.agent} '${m.type}' is planned, but capability '${m.planned}' says it is available`)
  }
  if (definition.machine === undefined && protocol.messages.some((m) => m.planned === undefined)) {
    throw new Error(`${protocol.agent} handles messages but has no machine`)
  }
  return { name: protocol.agent, ...definition } as AgentDefinition<Exclude<R, AgentEnv | Scope.Scope>>
}

/**
 * Sent to the machine when the asker of the message in hand gives up (its
 * timeout passed, its connection closed): a machine that started work for it
 * leaves the state that runs the work, which stops it (`serviceMachine` does).
 */
export const CANCEL = "sv.cancel"

/** Events a machine emits to answer the message being handled. */
export const REPLY = "sv.reply"
export const REJECT = "sv.reject"
/** A rejection as a machine emits it: an instance of one of the message's rejection classes. */
export interface RejectionValue {
  readonly _tag: string
  readonly message: string
}
export type AgentEmitted =
  | { readonly type: typeof REPLY; readonly value: unknown }
  | { readonly type: typeof REJECT; readonly rejection: RejectionValue }
export const replyWith = (value: unknown): AgentEmitted => ({ type: REPLY, value })
export const rejectWith = (rejection: RejectionValue): AgentEmitted => ({ type: REJECT, rejection })
