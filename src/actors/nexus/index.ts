import { define } from "../../runtime/Agent.ts"
import { plannedCapability } from "../shared/planned.ts"
import { Nexus } from "./messages.ts"

const correlation = plannedCapability(
  "correlation",
  "groups events from agents about the same disk, pool or time window into one incident and drops duplicate alerts"
)
const incidents = plannedCapability(
  "incidents",
  "lists incidents with their events and records an administrator's acknowledgement"
)

export const nexusAgent = define({
  protocol: Nexus,
  tier: "3",
  description: "Correlates events from many agents into incidents (same disk/pool/time window), dedups alerts",
  capabilities: [correlation, incidents]
})
