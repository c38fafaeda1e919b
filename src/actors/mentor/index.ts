import { define } from "../../runtime/Agent.ts"
import { mentorCapabilities, mentorMachine } from "./machine.ts"
import { Mentor } from "./messages.ts"

export const mentorAgent = define({
  protocol: Mentor,
  tier: "5-8",
  description: "Plain-language explanations and remediation steps for findings: a catalogue keyed by finding code",
  capabilities: mentorCapabilities,
  machine: mentorMachine
})
