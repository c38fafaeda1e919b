import type { AgentDefinition } from "../../runtime/Agent.ts"
import { fluxCapabilities, fluxMachine } from "./machine.ts"
import { FluxMessages } from "./messages.ts"

export const fluxAgent: AgentDefinition = {
  name: "FLUX",
  tier: "2",
  description: "Automation rules: when EVENT if CONDITION do ACTION",
  capabilities: fluxCapabilities,
  messages: FluxMessages,
  machine: fluxMachine
}
