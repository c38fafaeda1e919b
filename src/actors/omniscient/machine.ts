/**
 * OMNISCIENT's face as an agent. The root supervisor itself is the runtime
 * (src/runtime/Supervisor.ts); this agent answers for it: the system at a
 * glance and the whole supervision tree, read from the runtime when asked.
 */
import { Effect } from "effect"
import { emit, setup } from "xstate"
import { AgentEnv, type AgentEmitted, replyWith } from "../../runtime/Agent.ts"
import type * as Protocol from "../../runtime/Protocol.ts"
import { plannedCapability } from "../shared/planned.ts"
import type { Omniscient } from "./messages.ts"

export const omniscientCapabilities = [
  { name: "summary", available: true, detail: "agents running, restarting, failed and stopped; dead letters; escalations" },
  { name: "tree", available: true, detail: "the supervision tree: tier supervisors and their agents with state and restarts" },
  { name: "escalation", available: true, detail: "the root supervisor: a tier that exceeds its restart intensity is restarted here; past the root the daemon exits non-zero for systemd to restart it" },
  plannedCapability("prioritisation", "orders competing work across agents (scrubs, benchmarks, compression jobs) by priority")
]

export const omniscientMachine = Effect.gen(function*() {
  const { self, system } = yield* AgentEnv
  return setup({ types: { events: {} as Protocol.RequestOf<typeof Omniscient>, emitted: {} as AgentEmitted } }).createMachine({
    id: self,
    initial: "watching",
    states: {
      watching: {
        on: {
          summary: { actions: emit(() => replyWith(system.summary())) },
          tree: { actions: emit(() => replyWith(system.tree())) }
        }
      }
    }
  })
})
