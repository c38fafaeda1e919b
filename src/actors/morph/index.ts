import type { AgentDefinition } from "../../runtime/Agent.ts"
import { morphCapabilities, morphMachine } from "./machine.ts"
import { MorphMessages } from "./messages.ts"

export const morphAgent: AgentDefinition = {
  name: "MORPH",
  tier: "5-8",
  description: "Verified data migration: copy/move with hash verification, reversible",
  capabilities: morphCapabilities,
  messages: MorphMessages,
  machine: morphMachine
}
