import { Schema } from "effect"

export const CoreMessages = Schema.Union([
  Schema.Struct({ type: Schema.Literal("facts") })
])
export type CoreMessage = typeof CoreMessages.Type
