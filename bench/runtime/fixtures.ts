import { Effect, Schema } from "effect"
import { assign, emit, setup } from "xstate"
import { type AgentDefinition, type AgentEmitted, define, replyWith } from "../../src/runtime/Agent.ts"
import * as Protocol from "../../src/runtime/Protocol.ts"
import { Ack } from "../../src/runtime/Status.ts"
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

const noopProtocol = (name: string) =>
  Protocol.make(name, [
    Protocol.message("noop", { doc: "counts", access: "operate", reply: Ack }),
    Protocol.message("get", { doc: "the count", access: "read", reply: Schema.Int }),
    Protocol.message("crash", { doc: "throws", access: "admin", reply: Schema.Never })
  ])

export const noopAgent = (name: string, mailboxCapacity = 4096): AgentDefinition =>
  define({
    protocol: noopProtocol(name),
    tier: "5-8",
    description: "benchmark no-op agent",
    capabilities: [],
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
