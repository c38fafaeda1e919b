import { Schema } from "effect"

export const VanguardMessages = Schema.Union([
  Schema.Struct({ type: Schema.Literal("updates"), security: Schema.optionalKey(Schema.Boolean) }),
  Schema.Struct({ type: Schema.Literal("refresh") })
])
export type VanguardMessage = typeof VanguardMessages.Type
