import { Schema } from "effect"

export const SynapseMessages = Schema.Union([
  Schema.Struct({ type: Schema.Literal("endpoints") }),
  Schema.Struct({ type: Schema.Literal("connections") })
])
export type SynapseMessage = typeof SynapseMessages.Type
