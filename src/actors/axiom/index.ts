import type { AgentDefinition } from "../../runtime/Agent.ts"
import { axiomCapabilities, axiomMachine } from "./machine.ts"
import { AxiomMessages } from "./messages.ts"

export const axiomAgent: AgentDefinition = {
  name: "AXIOM",
  tier: "1",
  description: "Statistics: capacity forecasts (days until full), EWMA/z-score anomaly scores for other agents",
  capabilities: axiomCapabilities,
  messages: AxiomMessages,
  machine: axiomMachine
}
