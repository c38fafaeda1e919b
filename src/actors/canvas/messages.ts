/** CANVAS's protocol: the single source of its message schemas, access classes and (once built) replies. Every message is planned. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { MetricName } from "../shared/fields.ts"

const Window = Schema.Literals(["1h", "24h", "7d", "30d"])

export const Canvas = Protocol.make("CANVAS", [
  Protocol.planned("chart", {
    doc: "a metric's history as an SVG chart",
    access: "read",
    capability: "svg-chart",
    fields: {
      metric: MetricName,
      window: Schema.optionalKey(Window)
    }
  }),
  Protocol.planned("sparkline", {
    doc: "a metric's history as a terminal sparkline",
    access: "read",
    capability: "sparkline",
    fields: {
      metric: MetricName,
      window: Schema.optionalKey(Window),
      width: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 8, maximum: 240 })))
    }
  })
])
