import { Effect, Schema } from "effect"
import { assign, emit, setup } from "xstate"
import type { AgentDefinition, AgentEmitted, AgentMessage } from "../../src/runtime/Agent.ts"
import { replyWith } from "../../src/runtime/Agent.ts"
import type { SupervisorNode } from "../../src/runtime/ActorSystem.ts"

/** The one machine both sides of the throughput comparison run. */
export const noopMachine = setup({
  types: { context: {} as { n: number }, events: {} as { type: "noop" } | { type: "get" } | { type: "crash" }, emitted: {} as AgentEmitted }
}).createMachine({
  id: "noop",
  context: { n: 0 },
  initial: "idle",
  states: {
    idle: {
      on: {
        noop: { actions: assign({ n: ({ context }) => context.n + 1 }) },
        get: { actions: emit(({ context }) => replyWith(context.n)) },
        crash: {
          actions: () => {
            throw new Error("crash requested by the benchmark")
          }
        }
      }
    }
  }
})

const messages = Schema.Union([
  Schema.Struct({ type: Schema.Literal("noop") }),
  Schema.Struct({ type: Schema.Literal("get") }),
  Schema.Struct({ type: Schema.Literal("crash") })
]) as unknown as Schema.Decoder<AgentMessage>

export const noopAgent = (name: string, mailboxCapacity = 4096): AgentDefinition => ({
  name,
  tier: "5-8",
  description: "benchmark no-op agent",
  capabilities: [],
  messages,
  mailboxCapacity,
  machine: Effect.succeed(noopMachine)
})

export const benchTree = (children: ReadonlyArray<AgentDefinition>): SupervisorNode => ({
  name: "root",
  strategy: "one_for_one",
  // Restart every crash at once and never give up: the benchmark measures the restart path itself.
  intensity: { maxRestarts: 1_000_000_000, withinMs: 1 },
  backoff: { initialMs: 0, maxMs: 0, jitter: 0, resetAfterMs: 0 },
  children
})
