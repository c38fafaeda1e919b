import { Schema } from "effect"
import { AbsolutePath } from "../shared/fields.ts"

export const TensorMessages = Schema.Union([
  Schema.Struct({
    type: Schema.Literal("compress"),
    input: AbsolutePath,
    output: Schema.optionalKey(AbsolutePath),
    algorithm: Schema.optionalKey(Schema.Literals(["auto", "zstd", "brotli", "gzip"])),
    level: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 22 })))
  }),
  Schema.Struct({ type: Schema.Literal("decompress"), input: AbsolutePath, output: Schema.optionalKey(AbsolutePath) }),
  Schema.Struct({ type: Schema.Literal("estimate"), path: AbsolutePath }),
  Schema.Struct({ type: Schema.Literal("jobs") })
])
export type TensorMessage = typeof TensorMessages.Type
