import { Schema } from "effect"
import { AgentName, NonNegativeInt, Text } from "../shared/fields.ts"

export const AegisMessages = Schema.Union([
  Schema.Struct({
    type: Schema.Literal("authorize"),
    uid: NonNegativeInt,
    gid: Schema.optionalKey(NonNegativeInt),
    sender: Schema.optionalKey(Text),
    agent: AgentName,
    messageType: Text
  }),
  Schema.Struct({ type: Schema.Literal("policy") })
])
export type AegisMessage = typeof AegisMessages.Type
