import { Schema } from "effect"
import { PositiveInt } from "../shared/fields.ts"

export const LedgerMessages = Schema.Union([
  /** Records a state-changing action (for agents whose changes the runtime does not see itself). */
  Schema.Struct({
    type: Schema.Literal("append"),
    actor: Schema.String,
    action: Schema.String,
    detail: Schema.optionalKey(Schema.Record(Schema.String, Schema.Json))
  }),
  /** The last `limit` entries (default 20, at most 1000). */
  Schema.Struct({ type: Schema.Literal("entries"), limit: Schema.optionalKey(PositiveInt) }),
  /** Checks the whole chain and every checkpoint signature; reports the first bad entry. */
  Schema.Struct({ type: Schema.Literal("verify") }),
  /** Signs the chain's head now. */
  Schema.Struct({ type: Schema.Literal("checkpoint") })
])
export type LedgerMessage = typeof LedgerMessages.Type
