import type { ConfigCheck } from "../../adapters/configcheck/ConfigCheck.ts"
import type { WireGuard } from "../../adapters/wireguard/WireGuard.ts"
import { define } from "../../runtime/Agent.ts"
import { forgeCapabilities, forgeMachine } from "./machine.ts"
import { Forge } from "./messages.ts"

export const forgeAgent = define<ConfigCheck | WireGuard>({
  protocol: Forge,
  tier: "2",
  description: "Renders and validates config: smb.conf stanzas, /etc/exports.d, WireGuard, systemd timers",
  capabilities: forgeCapabilities,
  machine: forgeMachine
})
