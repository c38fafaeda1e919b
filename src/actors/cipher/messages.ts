import { Schema } from "effect"
import { AbsolutePath, Name } from "../shared/fields.ts"

export const CipherMessages = Schema.Union([
  Schema.Struct({
    type: Schema.Literal("encrypt"),
    input: AbsolutePath,
    output: AbsolutePath,
    recipients: Schema.NonEmptyArray(Name)
  }),
  Schema.Struct({
    type: Schema.Literal("decrypt"),
    input: AbsolutePath,
    output: AbsolutePath,
    key: Schema.optionalKey(Name)
  }),
  Schema.Struct({ type: Schema.Literal("inspect"), input: AbsolutePath })
])
export type CipherMessage = typeof CipherMessages.Type
