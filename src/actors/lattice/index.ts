import type { AgentDefinition } from "../../runtime/Agent.ts"
import { latticeCapabilities, latticeMachine } from "./machine.ts"
import { LatticeMessages } from "./messages.ts"

export const latticeAgent: AgentDefinition = {
  name: "LATTICE",
  tier: "5-8",
  description: "ZFS health: `zpool status/list -j`, scrubs and their progress, error counters, degraded vdevs",
  capabilities: latticeCapabilities,
  messages: LatticeMessages,
  machine: latticeMachine
}
