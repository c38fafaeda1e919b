import { Schema } from "effect"
import { NonNegativeInt, PositiveInt, Text } from "../shared/fields.ts"

export const LedgerMessages = Schema.Union([
  Schema.Struct({
    type: Schema.Literal("append"),
    actor: Text,
    action: Text,
    target: Text
  }),
  Schema.Struct({
    type: Schema.Literal("entries"),
    since: Schema.optionalKey(NonNegativeInt),
    limit: Schema.optionalKey(PositiveInt)
  }),
  Schema.Struct({ type: Schema.Literal("verify") }),
  Schema.Struct({ type: Schema.Literal("checkpoint") })
])
export type LedgerMessage = typeof LedgerMessages.Type
