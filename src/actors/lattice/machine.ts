import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { LatticeMessage } from "./messages.ts"

const poolHealth = plannedCapability(
  "pool-health",
  "reads `zpool status -j` and `zpool list -j`: pool state, capacity, error counters, degraded vdevs"
)
const scrubs = plannedCapability("scrubs", "starts and pauses scrubs and reports their progress")

export const latticeCapabilities = [poolHealth, scrubs]

export const latticeMachine = plannedMachine<LatticeMessage>({ pools: poolHealth, pool: poolHealth, scrub: scrubs })
