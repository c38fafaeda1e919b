import { Schema } from "effect"

export const PulseMessages = Schema.Union([
  Schema.Struct({ type: Schema.Literal("heartbeat") }),
  Schema.Struct({ type: Schema.Literal("liveness") })
])
export type PulseMessage = typeof PulseMessages.Type
