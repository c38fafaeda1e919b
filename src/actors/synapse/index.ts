import type { Gateway } from "../../adapters/socket/Gateway.ts"
import { define } from "../../runtime/Agent.ts"
import { synapseCapabilities, synapseMachine } from "./machine.ts"
import { Synapse } from "./messages.ts"

export const synapseAgent = define<Gateway>({
  protocol: Synapse,
  tier: "2",
  description: "IPC gateway: owns the control socket and D-Bus endpoints, routes external requests in",
  capabilities: synapseCapabilities,
  machine: synapseMachine
})
