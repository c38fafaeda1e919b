import { Schema } from "effect"
import { AbsolutePath } from "../shared/fields.ts"

export const TensorMessages = Schema.Union([
  /** Compresses `input` to `output` (default input + ".svz"), the codec chosen from the content unless `codec` is given. */
  Schema.Struct({
    type: Schema.Literal("compress"),
    input: AbsolutePath,
    output: Schema.optionalKey(AbsolutePath),
    codec: Schema.optionalKey(Schema.Literals(["zstd", "brotli", "gzip", "store"])),
    level: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 22 })))
  }),
  /** Decompresses `input` to `output` (default input without ".svz"), verifying size and SHA-256. */
  Schema.Struct({ type: Schema.Literal("decompress"), input: AbsolutePath, output: Schema.optionalKey(AbsolutePath) }),
  Schema.Struct({ type: Schema.Literal("estimate"), path: AbsolutePath }),
  /** The last jobs: what, how long, the outcome. */
  Schema.Struct({ type: Schema.Literal("jobs") })
])
export type TensorMessage = typeof TensorMessages.Type
