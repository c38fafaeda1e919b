import type { AgentDefinition } from "../../runtime/Agent.ts"
import { omniscientCapabilities, omniscientMachine } from "./machine.ts"
import { OmniscientMessages } from "./messages.ts"

export const omniscientAgent: AgentDefinition = {
  name: "OMNISCIENT",
  tier: "4",
  description: "Root supervisor: tier supervisors, escalation, system-wide status, graceful shutdown, work prioritisation",
  capabilities: omniscientCapabilities,
  messages: OmniscientMessages,
  machine: omniscientMachine
}
