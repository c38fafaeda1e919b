import type { AgentDefinition } from "../../runtime/Agent.ts"
import { apexCapabilities, apexMachine } from "./machine.ts"
import { ApexMessages } from "./messages.ts"

export const apexAgent: AgentDefinition = {
  name: "APEX",
  tier: "1",
  description: "Plans: runs a goal as a DAG of agent tasks with dependencies, timeouts, and an aggregated result",
  capabilities: apexCapabilities,
  messages: ApexMessages,
  machine: apexMachine
}
