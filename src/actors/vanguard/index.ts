import { define } from "../../runtime/Agent.ts"
import { plannedCapability } from "../shared/planned.ts"
import { Vanguard } from "./messages.ts"

const updateCheck = plannedCapability(
  "update-check",
  "lists upgradable packages from apt, with security updates flagged"
)
const indexRefresh = plannedCapability("index-refresh", "refreshes the apt package index")

export const vanguardAgent = define({
  protocol: Vanguard,
  tier: "2",
  description: "Update checks (apt upgradable list, security updates flagged)",
  capabilities: [updateCheck, indexRefresh]
})
