import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { PrismMessage } from "./messages.ts"

const exposition = plannedCapability(
  "exposition",
  "renders runtime metrics (mailboxes, latencies, restarts, dead letters) and system metrics in Prometheus text exposition format"
)
const lookup = plannedCapability("metric-lookup", "returns the current samples of one metric with their labels")

export const prismCapabilities = [exposition, lookup]

export const prismMachine = plannedMachine<PrismMessage>({ metrics: exposition, metric: lookup })
