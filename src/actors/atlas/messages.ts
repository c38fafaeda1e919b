import { Schema } from "effect"
import { AbsolutePath, DatasetName, PositiveInt } from "../shared/fields.ts"

export const AtlasMessages = Schema.Union([
  Schema.Struct({ type: Schema.Literal("usage"), dataset: Schema.optionalKey(DatasetName) }),
  Schema.Struct({ type: Schema.Literal("largest"), path: AbsolutePath, limit: Schema.optionalKey(PositiveInt) }),
  Schema.Struct({ type: Schema.Literal("file-types"), path: AbsolutePath })
])
export type AtlasMessage = typeof AtlasMessages.Type
