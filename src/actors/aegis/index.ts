import type { AgentDefinition } from "../../runtime/Agent.ts"
import { aegisCapabilities, aegisMachine } from "./machine.ts"
import { AegisMessages } from "./messages.ts"

export const aegisAgent: AgentDefinition = {
  name: "AEGIS",
  tier: "5-8",
  description: "Access control: caller identity (uid/gid, D-Bus sender) to permitted agents/messages",
  capabilities: aegisCapabilities,
  messages: AegisMessages,
  machine: aegisMachine
}
