import type { Keyring } from "../../keys/Keyring.ts"
import type { AuditLedger } from "../../ledger/index.ts"
import { define } from "../../runtime/Agent.ts"
import { quantumCapabilities, quantumMachine } from "./machine.ts"
import { Quantum } from "./messages.ts"

export const quantumAgent = define<Keyring | AuditLedger>({
  protocol: Quantum,
  tier: "2",
  description: "Key management: hybrid PQ keypairs, passphrase-sealed secret keys at rest, rotation, ML-DSA signing keys",
  capabilities: quantumCapabilities,
  machine: quantumMachine
})
