import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { GenesisMessage } from "./messages.ts"

const discovery = plannedCapability(
  "disk-discovery",
  "finds disks that are not in a pool yet, with size, model and SMART health"
)
const setupPlan = plannedCapability(
  "setup-plan",
  "asks ARCHITECT for a layout and produces a dry-run setup plan (pool, datasets, shares) for APEX to run"
)

export const genesisCapabilities = [discovery, setupPlan]

export const genesisMachine = plannedMachine<GenesisMessage>({ discover: discovery, "setup-plan": setupPlan })
