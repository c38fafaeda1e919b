import { Schema } from "effect"
import { AbsolutePath, Name } from "../shared/fields.ts"

export const MorphMessages = Schema.Union([
  Schema.Struct({
    type: Schema.Literal("migrate"),
    source: AbsolutePath,
    destination: AbsolutePath,
    mode: Schema.Literals(["copy", "move"])
  }),
  Schema.Struct({ type: Schema.Literal("migrations") }),
  Schema.Struct({ type: Schema.Literal("revert"), id: Name })
])
export type MorphMessage = typeof MorphMessages.Type
