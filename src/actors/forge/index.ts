import type { AgentDefinition } from "../../runtime/Agent.ts"
import { forgeCapabilities, forgeMachine } from "./machine.ts"
import { ForgeMessages } from "./messages.ts"

export const forgeAgent: AgentDefinition = {
  name: "FORGE",
  tier: "2",
  description: "Renders and validates config: smb.conf stanzas, /etc/exports.d, WireGuard, systemd timers",
  capabilities: forgeCapabilities,
  messages: ForgeMessages,
  machine: forgeMachine
}
