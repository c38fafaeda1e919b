import { define } from "../../runtime/Agent.ts"
import { plannedCapability } from "../shared/planned.ts"
import { Scribe } from "./messages.ts"

const reports = plannedCapability(
  "reports",
  "writes health, capacity and security reports in Markdown and JSON from what the other agents report"
)
const archive = plannedCapability("report-archive", "keeps generated reports under the state directory and lists them")

export const scribeAgent = define({
  protocol: Scribe,
  tier: "5-8",
  description: "Reports: health/capacity/security reports in Markdown and JSON",
  capabilities: [reports, archive]
})
