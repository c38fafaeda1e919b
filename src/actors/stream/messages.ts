import { Schema } from "effect"
import { Name, PositiveInt, Text } from "../shared/fields.ts"

export const StreamMessages = Schema.Union([
  Schema.Struct({
    type: Schema.Literal("subscribe"),
    subscriber: Name,
    topics: Schema.NonEmptyArray(Text),
    buffer: Schema.optionalKey(PositiveInt)
  }),
  Schema.Struct({ type: Schema.Literal("unsubscribe"), subscriber: Name }),
  Schema.Struct({ type: Schema.Literal("subscribers") })
])
export type StreamMessage = typeof StreamMessages.Type
