import { define } from "../../runtime/Agent.ts"
import { plannedCapability } from "../shared/planned.ts"
import { Arbiter } from "./messages.ts"

const leases = plannedCapability(
  "leases",
  "grants time-limited leases on pools and disks and refuses one that conflicts with a running job (scrub vs benchmark vs resilver)"
)

export const arbiterAgent = define({
  protocol: Arbiter,
  tier: "5-8",
  description: "Resource leases so conflicting jobs (scrub vs benchmark vs resilver) never overlap",
  capabilities: [leases]
})
