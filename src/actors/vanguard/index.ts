import type { AgentDefinition } from "../../runtime/Agent.ts"
import { vanguardCapabilities, vanguardMachine } from "./machine.ts"
import { VanguardMessages } from "./messages.ts"

export const vanguardAgent: AgentDefinition = {
  name: "VANGUARD",
  tier: "2",
  description: "Update checks (apt upgradable list, security updates flagged)",
  capabilities: vanguardCapabilities,
  messages: VanguardMessages,
  machine: vanguardMachine
}
