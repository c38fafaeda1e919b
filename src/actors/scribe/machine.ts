import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { ScribeMessage } from "./messages.ts"

const reports = plannedCapability(
  "reports",
  "writes health, capacity and security reports in Markdown and JSON from what the other agents report"
)
const archive = plannedCapability("report-archive", "keeps generated reports under the state directory and lists them")

export const scribeCapabilities = [reports, archive]

export const scribeMachine = plannedMachine<ScribeMessage>({ report: reports, reports: archive })
