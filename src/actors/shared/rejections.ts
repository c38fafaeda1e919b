/**
 * Rejections several agents declare. An agent that needs another one (LATTICE
 * registering a scrub with ORBIT) passes that agent's own rejections on where
 * they mean something to its caller, and answers everything else — a timeout,
 * a crash, a full mailbox — as DependencyFailed, naming the agent and why.
 */
import { Effect, Schema } from "effect"
import type { CallError } from "../../runtime/Agent.ts"

export class DependencyFailed extends Schema.TaggedError<DependencyFailed>()("DependencyFailed", {
  agent: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${this.agent} could not help: ${this.reason}`
  }
}

const CALL_ERROR_TAGS: ReadonlySet<string> = new Set<CallError["_tag"]>([
  "UnknownAgent",
  "MailboxFull",
  "AgentStopped",
  "InvalidMessage",
  "SystemShuttingDown",
  "AskTimeout",
  "AgentCrashed",
  "ProtocolViolation",
  "NotBuiltYet",
  "NotAccepted"
])

/** Turns the runtime's failures of a call to `agent` into DependencyFailed; the agent's own rejections pass through. */
export const failedDependency = (agent: string) =>
<A, E extends { readonly _tag: string; readonly message: string }, R>(
  call: Effect.Effect<A, E, R>
): Effect.Effect<A, Exclude<E, CallError> | DependencyFailed, R> =>
  Effect.mapError(call, (error) =>
    CALL_ERROR_TAGS.has(error._tag)
      ? new DependencyFailed({ agent, reason: error.message })
      : (error as Exclude<E, CallError>))
