import { define } from "../../runtime/Agent.ts"
import { plannedCapability } from "../shared/planned.ts"
import { Mentor } from "./messages.ts"

const explanations = plannedCapability(
  "explanations",
  "explains a finding (a weak sshd setting, reallocated sectors, a degraded vdev) in plain language"
)
const remediation = plannedCapability(
  "remediation",
  "gives the steps, with the commands to run, that resolve a finding"
)

export const mentorAgent = define({
  protocol: Mentor,
  tier: "5-8",
  description: "Plain-language explanations and remediation steps for findings",
  capabilities: [explanations, remediation]
})
