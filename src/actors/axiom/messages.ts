import { Schema } from "effect"
import { MetricName, PoolName } from "../shared/fields.ts"

export const AxiomMessages = Schema.Union([
  Schema.Struct({ type: Schema.Literal("forecast"), pool: PoolName }),
  Schema.Struct({ type: Schema.Literal("anomaly"), metric: MetricName, value: Schema.Finite })
])
export type AxiomMessage = typeof AxiomMessages.Type
