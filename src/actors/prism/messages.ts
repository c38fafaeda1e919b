/** PRISM's protocol: the single source of its message schemas, access classes and (once built) replies. Every message is planned. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { MetricName } from "../shared/fields.ts"

export const Prism = Protocol.make("PRISM", [
  Protocol.planned("metrics", {
    doc: "every metric, in Prometheus text or JSON",
    access: "read",
    capability: "exposition",
    fields: {
      format: Schema.optionalKey(Schema.Literals(["prometheus", "json"]))
    }
  }),
  Protocol.planned("metric", {
    doc: "one metric's samples",
    access: "read",
    capability: "metric-lookup",
    fields: {
      name: MetricName
    }
  })
])
