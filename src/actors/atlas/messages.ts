import { Schema } from "effect"
import { AbsolutePath, DatasetName, PositiveInt } from "../shared/fields.ts"

export const AtlasMessages = Schema.Union([
  Schema.Struct({
    type: Schema.Literal("usage"),
    /** What to scan: a path, or a dataset (its mountpoint); exactly one. */
    path: Schema.optionalKey(AbsolutePath),
    dataset: Schema.optionalKey(DatasetName),
    /** The scan's bounds: it stops at whichever comes first and says so. */
    maxEntries: Schema.optionalKey(PositiveInt),
    maxMs: Schema.optionalKey(PositiveInt),
    crossFilesystems: Schema.optionalKey(Schema.Boolean),
    top: Schema.optionalKey(PositiveInt)
  })
])
export type AtlasMessage = typeof AtlasMessages.Type
