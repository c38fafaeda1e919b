import type { AgentDefinition } from "../../runtime/Agent.ts"
import { photonCapabilities, photonMachine } from "./machine.ts"
import { PhotonMessages } from "./messages.ts"

export const photonAgent: AgentDefinition = {
  name: "PHOTON",
  tier: "5-8",
  description: "Network interfaces: link state, throughput, errors (/sys/class/net)",
  capabilities: photonCapabilities,
  messages: PhotonMessages,
  machine: photonMachine
}
