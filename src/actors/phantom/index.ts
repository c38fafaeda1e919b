import { define } from "../../runtime/Agent.ts"
import { plannedCapability } from "../shared/planned.ts"
import { Phantom } from "./messages.ts"

const peerManagement = plannedCapability(
  "peer-management",
  "generates peer keys and adds or removes peers in the server config"
)
const clientConfig = plannedCapability(
  "client-config",
  "renders a peer's client config, optionally as a QR code in the terminal"
)
const status = plannedCapability("status", "reads `wg show dump`: endpoint, last handshake and transfer per peer")

export const phantomAgent = define({
  protocol: Phantom,
  tier: "5-8",
  description: "WireGuard: peer keys, server/client configs, terminal QR, `wg show dump` status",
  capabilities: [peerManagement, clientConfig, status]
})
