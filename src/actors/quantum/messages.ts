/** QUANTUM's protocol: the single source of its message schemas, replies, rejections and access classes. */
import { Schema } from "effect"
import { KEYRING_ERRORS } from "../../keys/Keyring.ts"
import { LEDGER_ERRORS } from "../../ledger/LedgerError.ts"
import * as Protocol from "../../runtime/Protocol.ts"

const KeyId = Schema.String.check(Schema.isPattern(/^[0-9a-f]{16}$/, { expected: "a key id of 16 hex digits, as 'keys' lists them" }))

export const KeyView = Schema.Struct({
  id: Schema.String,
  kind: Schema.Literal("x-wing"),
  /** svpk1… */
  publicKey: Schema.String,
  /** ISO 8601 */
  created: Schema.String,
  default: Schema.Boolean
})
export type KeyView = typeof KeyView.Type

export const Quantum = Protocol.make("QUANTUM", [
  Protocol.message("keys", {
    doc: "the keyring's X-Wing keys: id, public key, created, which is the default",
    access: "read",
    reply: Schema.Array(KeyView),
    rejections: KEYRING_ERRORS
  }),
  Protocol.message("rotate", {
    doc: "makes a new X-Wing key the default; older keys stay for decryption",
    access: "admin",
    reply: KeyView,
    rejections: [...KEYRING_ERRORS, ...LEDGER_ERRORS]
  }),
  Protocol.message("export", {
    doc: "the public key of `id`, or of the default key (created on first use)",
    access: "read",
    fields: { id: Schema.optionalKey(KeyId) },
    reply: Schema.Struct({ publicKey: Schema.String }),
    rejections: KEYRING_ERRORS
  }),
  Protocol.message("signing-key", {
    doc: "the ML-DSA-65 public key that signs the audit ledger's checkpoints",
    access: "read",
    reply: Schema.Struct({ id: Schema.String, kind: Schema.Literal("ml-dsa-65"), publicKey: Schema.String }),
    rejections: KEYRING_ERRORS
  }),
  Protocol.message("sign-manifest", {
    doc: "signs a CRYPTO manifest (the SHA-256 of its body, under the manifest domain) with the ML-DSA-65 signing key; the daemon's own agents only",
    access: "runtime",
    fields: {
      bodySha256: Schema.String.check(Schema.isPattern(/^[0-9a-f]{64}$/, { expected: "a SHA-256 in 64 lowercase hex digits" }))
    },
    reply: Schema.Struct({ keyId: Schema.String, signature: Schema.String }),
    rejections: KEYRING_ERRORS
  })
])
