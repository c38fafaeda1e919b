import type { AgentDefinition } from "../../runtime/Agent.ts"
import { fortressCapabilities, fortressMachine } from "./machine.ts"
import { FortressMessages } from "./messages.ts"

export const fortressAgent: AgentDefinition = {
  name: "FORTRESS",
  tier: "2",
  description: "Security audit: listening sockets, weak sshd settings, world-writable share paths, own file permissions",
  capabilities: fortressCapabilities,
  messages: FortressMessages,
  machine: fortressMachine
}
