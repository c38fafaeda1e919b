import { Schema } from "effect"

export const OmniscientMessages = Schema.Union([
  Schema.Struct({ type: Schema.Literal("summary") }),
  Schema.Struct({ type: Schema.Literal("tree") }),
  Schema.Struct({ type: Schema.Literal("prioritise"), agent: Schema.String, priority: Schema.Literals(["high", "normal", "low"]) })
])
export type OmniscientMessage = typeof OmniscientMessages.Type
