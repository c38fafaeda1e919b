import { Schema } from "effect"
import { Name } from "../shared/fields.ts"

const Cidr = Schema.String.check(
  Schema.isPattern(/^[0-9A-Fa-f:.]+\/[0-9]{1,3}$/, { expected: "an address range in CIDR notation, e.g. 10.8.0.2/32" })
)

export const PhantomMessages = Schema.Union([
  Schema.Struct({ type: Schema.Literal("peers") }),
  Schema.Struct({
    type: Schema.Literal("add-peer"),
    name: Name,
    allowedIps: Schema.optionalKey(Schema.NonEmptyArray(Cidr))
  }),
  Schema.Struct({ type: Schema.Literal("remove-peer"), name: Name }),
  Schema.Struct({ type: Schema.Literal("peer-config"), name: Name, qr: Schema.optionalKey(Schema.Boolean) })
])
export type PhantomMessage = typeof PhantomMessages.Type
