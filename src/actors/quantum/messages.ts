import { Schema } from "effect"
import { Name } from "../shared/fields.ts"

export const QuantumMessages = Schema.Union([
  Schema.Struct({
    type: Schema.Literal("keygen"),
    name: Name,
    purpose: Schema.optionalKey(Schema.Literals(["encryption", "signing"]))
  }),
  Schema.Struct({ type: Schema.Literal("keys") }),
  Schema.Struct({ type: Schema.Literal("rotate"), name: Name }),
  Schema.Struct({ type: Schema.Literal("public-key"), name: Name })
])
export type QuantumMessage = typeof QuantumMessages.Type
