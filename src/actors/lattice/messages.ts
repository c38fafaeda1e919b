import { Schema } from "effect"
import { PoolName } from "../shared/fields.ts"

export const LatticeMessages = Schema.Union([
  Schema.Struct({ type: Schema.Literal("pools") }),
  Schema.Struct({ type: Schema.Literal("pool"), name: PoolName }),
  Schema.Struct({
    type: Schema.Literal("scrub"),
    pool: PoolName,
    action: Schema.Literals(["start", "pause", "status"])
  })
])
export type LatticeMessage = typeof LatticeMessages.Type
