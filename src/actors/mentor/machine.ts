import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { MentorMessage } from "./messages.ts"

const explanations = plannedCapability(
  "explanations",
  "explains a finding (a weak sshd setting, reallocated sectors, a degraded vdev) in plain language"
)
const remediation = plannedCapability(
  "remediation",
  "gives the steps, with the commands to run, that resolve a finding"
)

export const mentorCapabilities = [explanations, remediation]

export const mentorMachine = plannedMachine<MentorMessage>({ explain: explanations, remediation })
