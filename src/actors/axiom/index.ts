import { define } from "../../runtime/Agent.ts"
import { plannedCapability } from "../shared/planned.ts"
import { Axiom } from "./messages.ts"

const capacityForecast = plannedCapability(
  "capacity-forecast",
  "fits a pool's usage history and forecasts the days until it is full"
)
const anomalyScoring = plannedCapability(
  "anomaly-scoring",
  "scores a new observation of a metric against its EWMA baseline as a z-score"
)

export const axiomAgent = define({
  protocol: Axiom,
  tier: "1",
  description: "Statistics: capacity forecasts (days until full), EWMA/z-score anomaly scores for other agents",
  capabilities: [capacityForecast, anomalyScoring]
})
