import { Schema } from "effect"
import { Severity } from "../shared/fields.ts"

export const FortressMessages = Schema.Union([
  Schema.Struct({
    type: Schema.Literal("audit"),
    checks: Schema.optionalKey(Schema.NonEmptyArray(Schema.Literals(["sockets", "sshd", "shares", "permissions"])))
  }),
  Schema.Struct({ type: Schema.Literal("findings"), severity: Schema.optionalKey(Severity) })
])
export type FortressMessage = typeof FortressMessages.Type
