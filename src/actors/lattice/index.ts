import type { Zfs } from "../../adapters/zfs/Zfs.ts"
import type { MetricHistory } from "../../history/History.ts"
import { define } from "../../runtime/Agent.ts"
import { latticeCapabilities, latticeMachine } from "./machine.ts"
import { Lattice } from "./messages.ts"

export const latticeAgent = define<Zfs | MetricHistory>({
  protocol: Lattice,
  tier: "5-8",
  description: "ZFS health: `zpool status/list -j`, capacity levels, scrubs and their schedule, error counters, degraded vdevs",
  capabilities: latticeCapabilities,
  machine: latticeMachine
})
