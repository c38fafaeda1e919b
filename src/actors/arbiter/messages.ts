import { Schema } from "effect"
import { AgentName, Name, PositiveInt, Text } from "../shared/fields.ts"

export const ArbiterMessages = Schema.Union([
  Schema.Struct({
    type: Schema.Literal("acquire"),
    resource: Text,
    job: Schema.Literals(["scrub", "resilver", "benchmark", "replication", "migration", "compression"]),
    holder: AgentName,
    ttlSeconds: Schema.optionalKey(PositiveInt)
  }),
  Schema.Struct({ type: Schema.Literal("release"), lease: Name }),
  Schema.Struct({ type: Schema.Literal("leases") })
])
export type ArbiterMessage = typeof ArbiterMessages.Type
