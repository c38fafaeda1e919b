import type { AgentDefinition } from "../../runtime/Agent.ts"
import { linguaCapabilities, linguaMachine } from "./machine.ts"
import { LinguaMessages } from "./messages.ts"

export const linguaAgent: AgentDefinition = {
  name: "LINGUA",
  tier: "5-8",
  description: "Natural-language commands to agent messages (rule-based grammar; optional local OpenAI-compatible LLM endpoint)",
  capabilities: linguaCapabilities,
  messages: LinguaMessages,
  machine: linguaMachine
}
