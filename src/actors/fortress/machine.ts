import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { FortressMessage } from "./messages.ts"

const audit = plannedCapability(
  "security-audit",
  "checks listening sockets, weak sshd settings, world-writable share paths and SigmaVault's own file permissions"
)
const findings = plannedCapability("findings", "keeps the last audit's findings with severity and evidence")

export const fortressCapabilities = [audit, findings]

export const fortressMachine = plannedMachine<FortressMessage>({ audit, findings })
