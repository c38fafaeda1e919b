import { Schema } from "effect"
import { AbsolutePath } from "../shared/fields.ts"

export const CryptoMessages = Schema.Union([
  Schema.Struct({
    type: Schema.Literal("hash"),
    path: AbsolutePath,
    algorithm: Schema.optionalKey(Schema.Literals(["blake3", "sha256"]))
  }),
  Schema.Struct({ type: Schema.Literal("manifest"), root: AbsolutePath, output: AbsolutePath }),
  Schema.Struct({
    type: Schema.Literal("verify"),
    manifest: AbsolutePath,
    signature: Schema.optionalKey(AbsolutePath)
  })
])
export type CryptoMessage = typeof CryptoMessages.Type
