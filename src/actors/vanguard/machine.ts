import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { VanguardMessage } from "./messages.ts"

const updateCheck = plannedCapability(
  "update-check",
  "lists upgradable packages from apt, with security updates flagged"
)
const indexRefresh = plannedCapability("index-refresh", "refreshes the apt package index")

export const vanguardCapabilities = [updateCheck, indexRefresh]

export const vanguardMachine = plannedMachine<VanguardMessage>({ updates: updateCheck, refresh: indexRefresh })
