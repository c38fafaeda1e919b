import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { QuantumMessage } from "./messages.ts"

const keyGeneration = plannedCapability(
  "key-generation",
  "generates X-Wing (ML-KEM-768 + X25519) encryption keypairs and ML-DSA signing keypairs, secret keys sealed with a passphrase at rest"
)
const keyring = plannedCapability("keyring", "lists keys with purpose, fingerprint and age, and exports public keys")
const rotation = plannedCapability(
  "rotation",
  "replaces a keypair, keeping the old secret key for decryption until it is retired"
)

export const quantumCapabilities = [keyGeneration, keyring, rotation]

export const quantumMachine = plannedMachine<QuantumMessage>({
  keygen: keyGeneration,
  keys: keyring,
  rotate: rotation,
  "public-key": keyring
})
