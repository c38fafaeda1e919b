import type { AgentDefinition } from "../../runtime/Agent.ts"
import { bridgeCapabilities, bridgeMachine } from "./machine.ts"
import { BridgeMessages } from "./messages.ts"

export const bridgeAgent: AgentDefinition = {
  name: "BRIDGE",
  tier: "5-8",
  description: "SMB/NFS share management through FORGE, with reloads (smbcontrol, exportfs)",
  capabilities: bridgeCapabilities,
  messages: BridgeMessages,
  machine: bridgeMachine
}
