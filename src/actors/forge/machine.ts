import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { ForgeMessage } from "./messages.ts"

const rendering = plannedCapability(
  "rendering",
  "renders smb.conf share stanzas, /etc/exports.d entries, WireGuard configs and systemd timer units"
)
const validation = plannedCapability(
  "validation",
  "checks config text with the matching tool (testparm, exportfs, wg, systemd-analyze verify)"
)

export const forgeCapabilities = [rendering, validation]

export const forgeMachine = plannedMachine<ForgeMessage>({
  "render-share": rendering,
  "render-timer": rendering,
  validate: validation
})
