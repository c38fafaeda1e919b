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
  Protocol.planned("inspect", {
    doc: "a vault file's header: format version, recipients, chunk size",
    access: "operate",
    capability: "header-inspection",
    fields: { input: AbsolutePath }
  })
])
