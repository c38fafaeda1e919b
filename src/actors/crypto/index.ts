import type { CallerFiles } from "../../adapters/fs/CallerFiles.ts"
import { define } from "../../runtime/Agent.ts"
import { cryptoCapabilities, cryptoMachine } from "./machine.ts"
import { Crypto } from "./messages.ts"

export const cryptoAgent = define<CallerFiles>({
  protocol: Crypto,
  tier: "2",
  description: "Integrity: content hashes, dataset manifests, bit-rot verification, signature checks",
  capabilities: cryptoCapabilities,
  machine: cryptoMachine
})
