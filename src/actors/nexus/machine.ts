import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { NexusMessage } from "./messages.ts"

const correlation = plannedCapability(
  "correlation",
  "groups events from agents about the same disk, pool or time window into one incident and drops duplicate alerts"
)
const incidents = plannedCapability(
  "incidents",
  "lists incidents with their events and records an administrator's acknowledgement"
)

export const nexusCapabilities = [correlation, incidents]

export const nexusMachine = plannedMachine<NexusMessage>({
  report: correlation,
  incidents,
  incident: incidents,
  acknowledge: incidents
})
