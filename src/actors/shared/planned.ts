/**
 * Agents whose real job lands in later work still register honestly: they
 * declare the messages they will handle and capabilities marked unavailable,
 * and answer each planned message with a rejection that says what is missing,
 * never with a made-up result.
 */
import { Effect } from "effect"
import { type AnyStateMachine, emit, type MachineContext, setup } from "xstate"
import { AgentEnv, type AgentEmitted, type AgentMessage, type Capability, rejectWith } from "../../runtime/Agent.ts"

/** A capability that is declared but not implemented yet. */
export interface PlannedCapability extends Capability {
  readonly available: false
}

export const plannedCapability = (name: string, detail: string): PlannedCapability => ({
  name,
  available: false,
  detail
})

/** The reason a planned message is rejected with: the agent, the message and the missing capability. */
export const notBuiltYet = (agent: string, messageType: string, capability: PlannedCapability): string =>
  `${agent} cannot '${messageType}' yet: ${capability.detail} — not built yet`

/**
 * A machine that accepts each of the agent's messages in `idle` and rejects it
 * with the capability that will handle it. The mapping is keyed by every
 * message type, so a message added to the schema without a plan does not compile.
 */
export const plannedMachine = <Message extends AgentMessage>(
  handledBy: { readonly [Type in Message["type"]]: PlannedCapability }
): Effect.Effect<AnyStateMachine, never, AgentEnv> =>
  Effect.gen(function*() {
    const { self } = yield* AgentEnv
    const plans: ReadonlyArray<readonly [string, PlannedCapability]> = Object.entries(handledBy)
    const on = Object.fromEntries(
      plans.map(([type, capability]) => [type, {
        actions: emit<MachineContext, AgentMessage, undefined, AgentMessage, AgentEmitted>(
          rejectWith(notBuiltYet(self, type, capability))
        )
      }])
    )
    return setup({ types: { events: {} as AgentMessage, emitted: {} as AgentEmitted } }).createMachine({
      id: self,
      initial: "idle",
      states: { idle: { on } }
    })
  })
