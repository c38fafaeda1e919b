import type { AgentDefinition } from "../../runtime/Agent.ts"
import { quantumCapabilities, quantumMachine } from "./machine.ts"
import { QuantumMessages } from "./messages.ts"

export const quantumAgent: AgentDefinition = {
  name: "QUANTUM",
  tier: "2",
  description: "Key management: hybrid PQ keypairs, passphrase-sealed secret keys at rest, rotation, ML-DSA signing keys",
  capabilities: quantumCapabilities,
  messages: QuantumMessages,
  machine: quantumMachine
}
