/** AXIOM's protocol: the single source of its message schemas, access classes and (once built) replies. Every message is planned. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { MetricName, PoolName } from "../shared/fields.ts"

export const Axiom = Protocol.make("AXIOM", [
  Protocol.planned("forecast", {
    doc: "the days until a pool is full, from its usage history",
    access: "read",
    capability: "capacity-forecast",
    fields: {
      pool: PoolName
    }
  }),
  Protocol.planned("anomaly", {
    doc: "how unusual a new observation of a metric is (z-score against its EWMA baseline)",
    access: "read",
    capability: "anomaly-scoring",
    fields: {
      metric: MetricName,
      value: Schema.Finite
    }
  })
])
