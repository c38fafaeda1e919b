import type { Disks } from "../../adapters/disks/Disks.ts"
import type { Zfs } from "../../adapters/zfs/Zfs.ts"
import type { AgentDefinition } from "../../runtime/Agent.ts"
import { vertexCapabilities, vertexMachine } from "./machine.ts"
import { VertexMessages } from "./messages.ts"

export const vertexAgent: AgentDefinition<Disks | Zfs> = {
  name: "VERTEX",
  tier: "5-8",
  description: "Topology graph disk→partition→vdev→pool→dataset→mountpoint; what a disk's failure would take down",
  capabilities: vertexCapabilities,
  messages: VertexMessages,
  machine: vertexMachine
}
