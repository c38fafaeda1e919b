/**
 * OMNISCIENT's face as an agent. The root supervisor itself is the runtime
 * (src/runtime/Supervisor.ts); this agent answers for it: the system at a
 * glance and the whole supervision tree, read from the runtime when asked,
 * and the order competing jobs should run in, given ARBITER's leases
 * (prioritise.ts).
 */
import { Clock, Effect } from "effect"
import { AgentEnv } from "../../runtime/Agent.ts"
import { Arbiter } from "../arbiter/messages.ts"
import { failedDependency } from "../shared/rejections.ts"
import { serviceMachine } from "../shared/serve.ts"
import { Omniscient } from "./messages.ts"
import { prioritise } from "./prioritise.ts"

export const omniscientCapabilities = [
  { name: "summary", available: true, detail: "agents running, restarting, failed and stopped; dead letters; escalations" },
  { name: "tree", available: true, detail: "the supervision tree: tier supervisors and their agents with state and restarts" },
  { name: "escalation", available: true, detail: "the root supervisor: a tier that exceeds its restart intensity is restarted here; past the root the daemon exits non-zero for systemd to restart it" },
  {
    name: "prioritisation",
    available: true,
    detail: "orders competing jobs into waves: resilver before scrub before replication … before benchmark, jobs whose resources conflict (ARBITER's matrix) one after the other, after the leases held now"
  }
]

export const omniscientMachine = Effect.gen(function*() {
  const { system } = yield* AgentEnv
  return yield* serviceMachine(Omniscient, {
    handlers: {
      summary: () => Effect.sync(() => system.summary()),
      tree: () => Effect.sync(() => system.tree()),
      prioritise: (request) =>
        Effect.gen(function*() {
          const held = yield* failedDependency("ARBITER")(system.call(Arbiter, { type: "leases" }))
          const at = new Date(yield* Clock.currentTimeMillis).toISOString()
          return { at, leases: held.leases.length, order: [...prioritise(request.jobs, held.leases)] }
        })
    }
  })
})
