import { Schema } from "effect"
import { MetricName } from "../shared/fields.ts"

export const PrismMessages = Schema.Union([
  Schema.Struct({
    type: Schema.Literal("metrics"),
    format: Schema.optionalKey(Schema.Literals(["prometheus", "json"]))
  }),
  Schema.Struct({ type: Schema.Literal("metric"), name: MetricName })
])
export type PrismMessage = typeof PrismMessages.Type
