import { Schema } from "effect"
import { AbsolutePath } from "../shared/fields.ts"

export const CipherMessages = Schema.Union([
  /** Encrypts `input` to `output` (which must not exist) for `recipients` (svpk1… keys), or for the keyring's default key. */
  Schema.Struct({
    type: Schema.Literal("encrypt"),
    input: AbsolutePath,
    output: AbsolutePath,
    recipients: Schema.optionalKey(Schema.NonEmptyArray(Schema.String))
  }),
  /** Decrypts `input` to `output` (which must not exist) with the keyring's keys; `output` appears only if every chunk authenticates. */
  Schema.Struct({ type: Schema.Literal("decrypt"), input: AbsolutePath, output: AbsolutePath }),
  Schema.Struct({ type: Schema.Literal("inspect"), input: AbsolutePath })
])
export type CipherMessage = typeof CipherMessages.Type
