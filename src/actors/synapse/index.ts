import type { Gateway } from "../../adapters/socket/Gateway.ts"
import type { AgentDefinition } from "../../runtime/Agent.ts"
import { synapseCapabilities, synapseMachine } from "./machine.ts"
import { SynapseMessages } from "./messages.ts"

export const synapseAgent: AgentDefinition<Gateway> = {
  name: "SYNAPSE",
  tier: "2",
  description: "IPC gateway: owns the control socket and D-Bus endpoints, routes external requests in",
  capabilities: synapseCapabilities,
  messages: SynapseMessages,
  machine: synapseMachine
}
