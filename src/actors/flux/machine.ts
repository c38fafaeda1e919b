import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { FluxMessage } from "./messages.ts"

const rules = plannedCapability(
  "rules",
  "stores rules of the form when EVENT if CONDITION do ACTION, the action being a message to an agent"
)
const ruleEngine = plannedCapability("rule-engine", "matches runtime events against the rules and sends their actions")

export const fluxCapabilities = [rules, ruleEngine]

export const fluxMachine = plannedMachine<FluxMessage>({ rules, "add-rule": rules, "remove-rule": rules })
