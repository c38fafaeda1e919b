import { Schema } from "effect"
import { Name } from "../shared/fields.ts"

export const NeuralMessages = Schema.Union([
  Schema.Struct({ type: Schema.Literal("suggest"), parameter: Name }),
  Schema.Struct({ type: Schema.Literal("outcome"), parameter: Name, value: Schema.Finite, reward: Schema.Finite }),
  Schema.Struct({ type: Schema.Literal("parameters") })
])
export type NeuralMessage = typeof NeuralMessages.Type
