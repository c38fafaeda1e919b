import type { AgentDefinition } from "../../runtime/Agent.ts"
import { cryptoCapabilities, cryptoMachine } from "./machine.ts"
import { CryptoMessages } from "./messages.ts"

export const cryptoAgent: AgentDefinition = {
  name: "CRYPTO",
  tier: "2",
  description: "Integrity: content hashes, dataset manifests, bit-rot verification, signature checks",
  capabilities: cryptoCapabilities,
  messages: CryptoMessages,
  machine: cryptoMachine
}
