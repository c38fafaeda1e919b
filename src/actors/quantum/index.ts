import type { Keyring } from "../../keys/Keyring.ts"
import type { AuditLedger } from "../../ledger/index.ts"
import type { AgentDefinition } from "../../runtime/Agent.ts"
import { quantumCapabilities, quantumMachine } from "./machine.ts"
import { QuantumMessages } from "./messages.ts"

export const quantumAgent: AgentDefinition<Keyring | AuditLedger> = {
  name: "QUANTUM",
  tier: "2",
  description: "Key management: hybrid PQ keypairs, passphrase-sealed secret keys at rest, rotation, ML-DSA signing keys",
  capabilities: quantumCapabilities,
  messages: QuantumMessages,
  machine: quantumMachine
}
