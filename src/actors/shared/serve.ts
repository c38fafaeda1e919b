/**
 * The machine of an agent that serves requests one at a time: each handled
 * message runs an effect (the agent is busy until it settles) and is
 * answered with its result, or rejected with its error in words. Messages
 * whose capability is still planned are rejected at once, saying so.
 */
import { Effect } from "effect"
import { emit, setup } from "xstate"
import { AgentEnv, type AgentEmitted, type AgentMessage, rejectWith, replyWith } from "../../runtime/Agent.ts"
import { describeError } from "../../runtime/Errors.ts"
import { notBuiltYet, type PlannedCapability } from "./planned.ts"

export const serviceMachine = <Message extends AgentMessage, Served extends Message["type"]>(options: {
  readonly served: ReadonlyArray<Served>
  readonly serve: (message: Extract<Message, { readonly type: Served }>) => Effect.Effect<unknown, unknown>
  /** every message type not served, with the capability that will handle it */
  readonly planned: { readonly [Type in Exclude<Message["type"], Served>]: PlannedCapability }
}) =>
  Effect.gen(function*() {
    const env = yield* AgentEnv
    type Served_ = Extract<Message, { readonly type: Served }>
    // The machine sees plain agent messages: the runtime has checked each against the agent's schema.
    return setup({
      types: { events: {} as AgentMessage, emitted: {} as AgentEmitted },
      actors: { serve: env.fromEffect((message: AgentMessage) => options.serve(message as Served_)) }
    }).createMachine({
      id: env.self,
      initial: "ready",
      states: {
        ready: {
          on: {
            ...Object.fromEntries(options.served.map((type) => [type, "serving"])),
            ...Object.fromEntries(
              Object.entries<PlannedCapability>(options.planned).map(([type, capability]) => [
                type,
                { actions: emit(rejectWith(notBuiltYet(env.self, type, capability))) }
              ])
            )
          }
        },
        serving: {
          invoke: {
            src: "serve",
            input: ({ event }) => event,
            onDone: { target: "ready", actions: emit(({ event }) => replyWith(event.output)) },
            onError: { target: "ready", actions: emit(({ event }) => rejectWith(describeError(event.error))) }
          }
        }
      }
    })
  })
