import type { Scope } from "effect"
import type { StateStore } from "../../adapters/state/StateStore.ts"
import { define } from "../../runtime/Agent.ts"
import { makeMachine } from "./machine.ts"
import { Apex } from "./messages.ts"

export { ApexConfig, type ApexConfigShape, defaultApexConfig } from "./config.ts"

export const apexAgent = define<StateStore | Scope.Scope>({
  protocol: Apex,
  tier: "1",
  description: "Plans: runs a goal as a DAG of agent tasks with dependencies, timeouts, and an aggregated result",
  capabilities: [
    {
      name: "dag-execution",
      available: true,
      detail:
        "validates a plan before it starts (ids, dependencies, cycles, each message against its agent's protocol, the caller's rights), " +
        "shows it as a dry run, and with confirm runs each task on the caller's behalf in dependency order, with a concurrency cap, " +
        "per-task timeouts, retries of read messages only, and the dependants of a failed task skipped"
    },
    {
      name: "plan-tracking",
      available: true,
      detail:
        "lists running and recent plans with each task's state, timing and result, cancels a running plan (running asks abandoned, " +
        "pending tasks cancelled), keeps plans in the state directory so a restart reports a cut-off plan as interrupted, and resumes it on request"
    }
  ],
  machine: makeMachine
})
