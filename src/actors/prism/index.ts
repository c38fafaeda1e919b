import type { AgentDefinition } from "../../runtime/Agent.ts"
import { prismCapabilities, prismMachine } from "./machine.ts"
import { PrismMessages } from "./messages.ts"

export const prismAgent: AgentDefinition = {
  name: "PRISM",
  tier: "2",
  description: "Metrics: runtime + system metrics in Prometheus text exposition",
  capabilities: prismCapabilities,
  messages: PrismMessages,
  machine: prismMachine
}
