import { define } from "../../runtime/Agent.ts"
import { plannedCapability } from "../shared/planned.ts"
import { Fortress } from "./messages.ts"

const audit = plannedCapability(
  "security-audit",
  "checks listening sockets, weak sshd settings, world-writable share paths and SigmaVault's own file permissions"
)
const findings = plannedCapability("findings", "keeps the last audit's findings with severity and evidence")

export const fortressAgent = define({
  protocol: Fortress,
  tier: "2",
  description: "Security audit: listening sockets, weak sshd settings, world-writable share paths, own file permissions",
  capabilities: [audit, findings]
})
