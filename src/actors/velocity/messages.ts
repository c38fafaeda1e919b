import { Schema } from "effect"
import { AbsolutePath, PositiveInt } from "../shared/fields.ts"

export const VelocityMessages = Schema.Union([
  Schema.Struct({
    type: Schema.Literal("benchmark"),
    target: AbsolutePath,
    workload: Schema.optionalKey(Schema.Literals(["seq-read", "seq-write", "rand-read", "rand-write", "mixed"])),
    sizeMiB: Schema.optionalKey(PositiveInt),
    seconds: Schema.optionalKey(PositiveInt)
  }),
  Schema.Struct({
    type: Schema.Literal("history"),
    target: Schema.optionalKey(AbsolutePath),
    limit: Schema.optionalKey(PositiveInt)
  })
])
export type VelocityMessage = typeof VelocityMessages.Type
