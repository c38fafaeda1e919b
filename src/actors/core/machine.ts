/** CORE answers `facts` by reading them afresh through the SystemFacts port. */
import { Effect } from "effect"
import { emit, setup } from "xstate"
import { SystemFacts } from "../../adapters/system/SystemFacts.ts"
import { AgentEnv, type AgentEmitted, rejectWith, replyWith } from "../../runtime/Agent.ts"
import { describeError } from "../../runtime/Errors.ts"
import type { CoreMessage } from "./messages.ts"

export const coreMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const system = yield* SystemFacts
  return setup({
    types: { events: {} as CoreMessage, emitted: {} as AgentEmitted },
    actors: { readFacts: env.fromEffect(() => system.facts) }
  }).createMachine({
    id: "CORE",
    initial: "ready",
    states: {
      ready: { on: { facts: "reading" } },
      reading: {
        invoke: {
          src: "readFacts",
          onDone: { target: "ready", actions: emit(({ event }) => replyWith(event.output)) },
          onError: {
            target: "ready",
            actions: emit(({ event }) => rejectWith(`could not read system facts: ${describeError(event.error)}`))
          }
        }
      }
    }
  })
})
