/** CIPHER's protocol: the single source of its message schemas, replies, rejections and access classes. */
import { Schema } from "effect"
import { KEYRING_ERRORS } from "../../keys/Keyring.ts"
import { InvalidPublicKey } from "../../keys/PublicKey.ts"
import * as Protocol from "../../runtime/Protocol.ts"
import { VAULT_ERRORS } from "../../vault/Errors.ts"
import { AbsolutePath } from "../shared/fields.ts"

export class BadRecipient extends Schema.TaggedError<BadRecipient>()("BadRecipient", {
  /** 1-based, in the order given */
  position: Schema.Int,
  reason: Schema.String
}) {
  override get message() {
    return `recipient ${this.position}: ${this.reason}`
  }
}

export class NoKeys extends Schema.TaggedError<NoKeys>()("NoKeys", {}) {
  override get message() {
    return "the keyring has no keys to decrypt with"
  }
}

const Bytes = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

export const VaultHeaderView = Schema.Struct({
  input: Schema.String,
  version: Schema.Int,
  chunkSize: Bytes,
  recipients: Schema.Int,
  headerBytes: Bytes,
  fileBytes: Bytes,
  payloadBytes: Schema.Int,
  /** What the payload's length implies (both present), or `payloadProblem` when it cannot be a whole payload. */
  chunks: Schema.optional(Bytes),
  plaintextBytes: Schema.optional(Bytes),
  payloadProblem: Schema.optional(Schema.String),
  /** Stanzas carry no key id: each is tried with the keyring's keys; `keyId` is the one that opens it. */
  stanzas: Schema.Array(Schema.Struct({ index: Schema.Int, keyId: Schema.optional(Schema.String) })),
  /** The header MAC under the file key a keyring key unwrapped; absent when no keyring key opens a stanza. */
  headerAuthentic: Schema.optional(Schema.Boolean)
})
export type VaultHeaderView = typeof VaultHeaderView.Type

export const Cipher = Protocol.make("CIPHER", [
  Protocol.message("encrypt", {
    doc: "encrypts `input` to `output` (which must not exist) for `recipients` (svpk1… keys), or for the keyring's default key",
    access: "operate",
    fields: {
      input: AbsolutePath,
      output: AbsolutePath,
      recipients: Schema.optionalKey(Schema.NonEmptyArray(Schema.String))
    },
    reply: Schema.Struct({ output: Schema.String, recipients: Schema.Int, plaintextBytes: Bytes, ciphertextBytes: Bytes }),
    rejections: [BadRecipient, InvalidPublicKey, ...VAULT_ERRORS, ...KEYRING_ERRORS]
  }),
  Protocol.message("decrypt", {
    doc: "decrypts `input` to `output` (which must not exist) with the keyring's keys; `output` appears only if every chunk authenticates",
    access: "operate",
    fields: { input: AbsolutePath, output: AbsolutePath },
    reply: Schema.Struct({
      output: Schema.String,
      plaintextBytes: Bytes,
      /** The keyring key that opened it. */
      key: Schema.optional(Schema.String)
    }),
    rejections: [NoKeys, ...VAULT_ERRORS, ...KEYRING_ERRORS]
  }),
  Protocol.message("inspect", {
    doc: "a vault file's header without decrypting: format version, chunk size, recipient stanzas and which keyring key opens each, the payload's chunks",
    access: "operate",
    fields: { input: AbsolutePath },
    reply: VaultHeaderView,
    rejections: [...VAULT_ERRORS, ...KEYRING_ERRORS]
  })
])
