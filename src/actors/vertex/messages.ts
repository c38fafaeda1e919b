import { Schema } from "effect"
import { Text } from "../shared/fields.ts"

export const VertexMessages = Schema.Union([
  Schema.Struct({ type: Schema.Literal("topology") }),
  Schema.Struct({
    type: Schema.Literal("blast-radius"),
    kind: Schema.Literals(["disk", "vdev", "pool", "dataset"]),
    name: Text
  })
])
export type VertexMessage = typeof VertexMessages.Type
