import { define } from "../../runtime/Agent.ts"
import { plannedCapability } from "../shared/planned.ts"
import { forgeMachine } from "./machine.ts"
import { Forge } from "./messages.ts"

const rendering = plannedCapability(
  "rendering",
  "renders smb.conf share stanzas, /etc/exports.d entries, WireGuard configs and systemd timer units"
)
const validation = plannedCapability(
  "validation",
  "checks config text with the matching tool (testparm, exportfs, wg, systemd-analyze verify)"
)

const wireguardRendering = {
  name: "wireguard-rendering",
  available: true,
  detail: "renders WireGuard interface configs without their private key, refusing what wg would refuse (render-wireguard)"
}

export const forgeAgent = define({
  protocol: Forge,
  tier: "2",
  description: "Renders and validates config: smb.conf stanzas, /etc/exports.d, WireGuard, systemd timers",
  capabilities: [rendering, validation, wireguardRendering],
  machine: forgeMachine
})
