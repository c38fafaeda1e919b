import { define } from "../../runtime/Agent.ts"
import { plannedCapability } from "../shared/planned.ts"
import { Genesis } from "./messages.ts"

const discovery = plannedCapability(
  "disk-discovery",
  "finds disks that are not in a pool yet, with size, model and SMART health"
)
const setupPlan = plannedCapability(
  "setup-plan",
  "asks ARCHITECT for a layout and produces a dry-run setup plan (pool, datasets, shares) for APEX to run"
)

export const genesisAgent = define({
  protocol: Genesis,
  tier: "3",
  description: "First-run setup: discover disks, ask ARCHITECT, produce a dry-run setup plan for APEX",
  capabilities: [discovery, setupPlan]
})
