import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { CipherMessage } from "./messages.ts"

const encryption = plannedCapability(
  "encryption",
  "encrypts a file or stream for QUANTUM-held recipient keys: a per-file key wrapped with ML-KEM-768 + X25519 (X-Wing), data in AES-256-GCM chunks"
)
const decryption = plannedCapability(
  "decryption",
  "unwraps the per-file key with a recipient's secret key, then decrypts and authenticates every chunk"
)
const headerInspection = plannedCapability(
  "header-inspection",
  "reads a vault file's header (format version, recipients, chunk size) without decrypting"
)

export const cipherCapabilities = [encryption, decryption, headerInspection]

export const cipherMachine = plannedMachine<CipherMessage>({
  encrypt: encryption,
  decrypt: decryption,
  inspect: headerInspection
})
