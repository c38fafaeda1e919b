import { Schema } from "effect"
import { DatasetName, Name, PositiveInt, Text } from "../shared/fields.ts"

export const HelixMessages = Schema.Union([
  Schema.Struct({
    type: Schema.Literal("snapshot"),
    dataset: DatasetName,
    name: Schema.optionalKey(Name),
    recursive: Schema.optionalKey(Schema.Boolean)
  }),
  Schema.Struct({ type: Schema.Literal("snapshots"), dataset: Schema.optionalKey(DatasetName) }),
  Schema.Struct({
    type: Schema.Literal("replicate"),
    dataset: DatasetName,
    target: Text,
    incremental: Schema.optionalKey(Schema.Boolean)
  }),
  Schema.Struct({
    type: Schema.Literal("prune"),
    dataset: DatasetName,
    keep: PositiveInt,
    dryRun: Schema.optionalKey(Schema.Boolean)
  })
])
export type HelixMessage = typeof HelixMessages.Type
