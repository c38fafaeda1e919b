import type { AgentDefinition } from "../../runtime/Agent.ts"
import { mentorCapabilities, mentorMachine } from "./machine.ts"
import { MentorMessages } from "./messages.ts"

export const mentorAgent: AgentDefinition = {
  name: "MENTOR",
  tier: "5-8",
  description: "Plain-language explanations and remediation steps for findings",
  capabilities: mentorCapabilities,
  messages: MentorMessages,
  machine: mentorMachine
}
