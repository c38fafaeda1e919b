import type { AgentDefinition } from "../../runtime/Agent.ts"
import { genesisCapabilities, genesisMachine } from "./machine.ts"
import { GenesisMessages } from "./messages.ts"

export const genesisAgent: AgentDefinition = {
  name: "GENESIS",
  tier: "3",
  description: "First-run setup: discover disks, ask ARCHITECT, produce a dry-run setup plan for APEX",
  capabilities: genesisCapabilities,
  messages: GenesisMessages,
  machine: genesisMachine
}
