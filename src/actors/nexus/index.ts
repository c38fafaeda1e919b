import type { AgentDefinition } from "../../runtime/Agent.ts"
import { nexusCapabilities, nexusMachine } from "./machine.ts"
import { NexusMessages } from "./messages.ts"

export const nexusAgent: AgentDefinition = {
  name: "NEXUS",
  tier: "3",
  description: "Correlates events from many agents into incidents (same disk/pool/time window), dedups alerts",
  capabilities: nexusCapabilities,
  messages: NexusMessages,
  machine: nexusMachine
}
