import type { Zfs } from "../../adapters/zfs/Zfs.ts"
import type { AgentDefinition } from "../../runtime/Agent.ts"
import { latticeCapabilities, latticeMachine } from "./machine.ts"
import { LatticeMessages } from "./messages.ts"

export const latticeAgent: AgentDefinition<Zfs> = {
  name: "LATTICE",
  tier: "5-8",
  description: "ZFS health: `zpool status/list -j`, capacity levels, scrubs and their schedule, error counters, degraded vdevs",
  capabilities: latticeCapabilities,
  messages: LatticeMessages,
  machine: latticeMachine
}
