import type { StateStore } from "../../adapters/state/StateStore.ts"
import type { WireGuard } from "../../adapters/wireguard/WireGuard.ts"
import { define } from "../../runtime/Agent.ts"
import { phantomCapabilities, phantomMachine } from "./machine.ts"
import { Phantom } from "./messages.ts"

export const phantomAgent = define<WireGuard | StateStore>({
  protocol: Phantom,
  tier: "5-8",
  description: "WireGuard: peer keys made in process, server/client configs through FORGE, QR codes, `wg syncconf`, `wg show dump` status",
  capabilities: phantomCapabilities,
  machine: phantomMachine
})
