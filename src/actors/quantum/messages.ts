import { Schema } from "effect"

const KeyId = Schema.String.check(Schema.isPattern(/^[0-9a-f]{16}$/, { expected: "a key id of 16 hex digits, as 'keys' lists them" }))

export const QuantumMessages = Schema.Union([
  /** The keyring's X-Wing keys: id, public key, created, which is the default. */
  Schema.Struct({ type: Schema.Literal("keys") }),
  /** A new X-Wing key becomes the default; older keys stay for decryption. */
  Schema.Struct({ type: Schema.Literal("rotate") }),
  /** The public key of `id`, or of the default key (created on first use). */
  Schema.Struct({ type: Schema.Literal("export"), id: Schema.optionalKey(KeyId) }),
  /** The ML-DSA-65 public key that signs the audit ledger's checkpoints. */
  Schema.Struct({ type: Schema.Literal("signing-key") })
])
export type QuantumMessage = typeof QuantumMessages.Type
