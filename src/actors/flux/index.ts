import { define } from "../../runtime/Agent.ts"
import { plannedCapability } from "../shared/planned.ts"
import { Flux } from "./messages.ts"

const rules = plannedCapability(
  "rules",
  "stores rules of the form when EVENT if CONDITION do ACTION, the action being a message to an agent"
)
const ruleEngine = plannedCapability("rule-engine", "matches runtime events against the rules and sends their actions")

export const fluxAgent = define({
  protocol: Flux,
  tier: "2",
  description: "Automation rules: when EVENT if CONDITION do ACTION",
  capabilities: [rules, ruleEngine]
})
