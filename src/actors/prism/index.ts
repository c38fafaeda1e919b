import { define } from "../../runtime/Agent.ts"
import { plannedCapability } from "../shared/planned.ts"
import { Prism } from "./messages.ts"

const exposition = plannedCapability(
  "exposition",
  "renders runtime metrics (mailboxes, latencies, restarts, dead letters) and system metrics in Prometheus text exposition format"
)
const lookup = plannedCapability("metric-lookup", "returns the current samples of one metric with their labels")

export const prismAgent = define({
  protocol: Prism,
  tier: "2",
  description: "Metrics: runtime + system metrics in Prometheus text exposition",
  capabilities: [exposition, lookup]
})
