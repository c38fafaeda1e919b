import { Schema } from "effect"
import { AgentCall, Name, Text } from "../shared/fields.ts"

export const FluxMessages = Schema.Union([
  Schema.Struct({ type: Schema.Literal("rules") }),
  Schema.Struct({
    type: Schema.Literal("add-rule"),
    name: Name,
    when: Text,
    if: Schema.optionalKey(Text),
    do: AgentCall
  }),
  Schema.Struct({ type: Schema.Literal("remove-rule"), name: Name })
])
export type FluxMessage = typeof FluxMessages.Type
