import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { AxiomMessage } from "./messages.ts"

const capacityForecast = plannedCapability(
  "capacity-forecast",
  "fits a pool's usage history and forecasts the days until it is full"
)
const anomalyScoring = plannedCapability(
  "anomaly-scoring",
  "scores a new observation of a metric against its EWMA baseline as a z-score"
)

export const axiomCapabilities = [capacityForecast, anomalyScoring]

export const axiomMachine = plannedMachine<AxiomMessage>({ forecast: capacityForecast, anomaly: anomalyScoring })
