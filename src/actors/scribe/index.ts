import type { AgentDefinition } from "../../runtime/Agent.ts"
import { scribeCapabilities, scribeMachine } from "./machine.ts"
import { ScribeMessages } from "./messages.ts"

export const scribeAgent: AgentDefinition = {
  name: "SCRIBE",
  tier: "5-8",
  description: "Reports: health/capacity/security reports in Markdown and JSON",
  capabilities: scribeCapabilities,
  messages: ScribeMessages,
  machine: scribeMachine
}
