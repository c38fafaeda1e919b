import { Schema } from "effect"
import { Name, Protocol, ShareSpec } from "../shared/fields.ts"

export const BridgeMessages = Schema.Union([
  Schema.Struct({ type: Schema.Literal("shares") }),
  Schema.Struct({ type: Schema.Literal("add-share"), ...ShareSpec.fields }),
  Schema.Struct({ type: Schema.Literal("remove-share"), protocol: Protocol, name: Name }),
  Schema.Struct({ type: Schema.Literal("reload"), protocol: Schema.optionalKey(Protocol) })
])
export type BridgeMessage = typeof BridgeMessages.Type
