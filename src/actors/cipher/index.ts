import type { CallerFiles } from "../../adapters/fs/CallerFiles.ts"
import type { Keyring } from "../../keys/Keyring.ts"
import { define } from "../../runtime/Agent.ts"
import { cipherCapabilities, cipherMachine } from "./machine.ts"
import { Cipher } from "./messages.ts"

export const cipherAgent = define<Keyring | CallerFiles>({
  protocol: Cipher,
  tier: "1",
  description: "Encrypts/decrypts files and streams (hybrid PQ KEM + AES-256-GCM chunked format)",
  capabilities: cipherCapabilities,
  machine: cipherMachine
})
