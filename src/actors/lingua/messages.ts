import { Schema } from "effect"
import { Text } from "../shared/fields.ts"

export const LinguaMessages = Schema.Union([
  Schema.Struct({ type: Schema.Literal("parse"), text: Text }),
  Schema.Struct({ type: Schema.Literal("phrases") })
])
export type LinguaMessage = typeof LinguaMessages.Type
