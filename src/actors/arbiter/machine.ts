import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { ArbiterMessage } from "./messages.ts"

const leases = plannedCapability(
  "leases",
  "grants time-limited leases on pools and disks and refuses one that conflicts with a running job (scrub vs benchmark vs resilver)"
)

export const arbiterCapabilities = [leases]

export const arbiterMachine = plannedMachine<ArbiterMessage>({ acquire: leases, release: leases, leases })
