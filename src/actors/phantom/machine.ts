import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { PhantomMessage } from "./messages.ts"

const peerManagement = plannedCapability(
  "peer-management",
  "generates peer keys and adds or removes peers in the server config"
)
const clientConfig = plannedCapability(
  "client-config",
  "renders a peer's client config, optionally as a QR code in the terminal"
)
const status = plannedCapability("status", "reads `wg show dump`: endpoint, last handshake and transfer per peer")

export const phantomCapabilities = [peerManagement, clientConfig, status]

export const phantomMachine = plannedMachine<PhantomMessage>({
  peers: status,
  "add-peer": peerManagement,
  "remove-peer": peerManagement,
  "peer-config": clientConfig
})
