import { Schema } from "effect"
import { Device } from "../shared/fields.ts"

export const VertexMessages = Schema.Union([
  Schema.Struct({ type: Schema.Literal("topology") }),
  Schema.Struct({ type: Schema.Literal("impact"), disk: Device })
])
export type VertexMessage = typeof VertexMessages.Type
