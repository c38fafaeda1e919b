import { define } from "../../runtime/Agent.ts"
import { plannedCapability } from "../shared/planned.ts"
import { Apex } from "./messages.ts"

const dagExecution = plannedCapability(
  "dag-execution",
  "runs a goal's tasks across agents in dependency order, each with its own timeout, and aggregates their results"
)
const planTracking = plannedCapability(
  "plan-tracking",
  "lists running and finished plans with the state of each task, and cancels a running plan"
)

export const apexAgent = define({
  protocol: Apex,
  tier: "1",
  description: "Plans: runs a goal as a DAG of agent tasks with dependencies, timeouts, and an aggregated result",
  capabilities: [dagExecution, planTracking]
})
