import { Schema } from "effect"

export const ScribeMessages = Schema.Union([
  Schema.Struct({
    type: Schema.Literal("report"),
    kind: Schema.Literals(["health", "capacity", "security"]),
    format: Schema.optionalKey(Schema.Literals(["markdown", "json"]))
  }),
  Schema.Struct({ type: Schema.Literal("reports") })
])
export type ScribeMessage = typeof ScribeMessages.Type
