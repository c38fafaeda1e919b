import type { Files } from "../../adapters/fs/Files.ts"
import type { Keyring } from "../../keys/Keyring.ts"
import type { AgentDefinition } from "../../runtime/Agent.ts"
import { cipherCapabilities, cipherMachine } from "./machine.ts"
import { CipherMessages } from "./messages.ts"

export const cipherAgent: AgentDefinition<Keyring | Files> = {
  name: "CIPHER",
  tier: "1",
  description: "Encrypts/decrypts files and streams (hybrid PQ KEM + AES-256-GCM chunked format)",
  capabilities: cipherCapabilities,
  messages: CipherMessages,
  machine: cipherMachine
}
