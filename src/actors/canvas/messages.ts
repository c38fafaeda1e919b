import { Schema } from "effect"
import { MetricName } from "../shared/fields.ts"

const Window = Schema.Literals(["1h", "24h", "7d", "30d"])

export const CanvasMessages = Schema.Union([
  Schema.Struct({ type: Schema.Literal("chart"), metric: MetricName, window: Schema.optionalKey(Window) }),
  Schema.Struct({
    type: Schema.Literal("sparkline"),
    metric: MetricName,
    window: Schema.optionalKey(Window),
    width: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 8, maximum: 240 })))
  })
])
export type CanvasMessage = typeof CanvasMessages.Type
