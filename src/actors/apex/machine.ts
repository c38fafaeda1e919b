import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { ApexMessage } from "./messages.ts"

const dagExecution = plannedCapability(
  "dag-execution",
  "runs a goal's tasks across agents in dependency order, each with its own timeout, and aggregates their results"
)
const planTracking = plannedCapability(
  "plan-tracking",
  "lists running and finished plans with the state of each task, and cancels a running plan"
)

export const apexCapabilities = [dagExecution, planTracking]

export const apexMachine = plannedMachine<ApexMessage>({
  run: dagExecution,
  plans: planTracking,
  plan: planTracking,
  cancel: planTracking
})
