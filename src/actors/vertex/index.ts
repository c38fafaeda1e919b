import type { Disks } from "../../adapters/disks/Disks.ts"
import type { Zfs } from "../../adapters/zfs/Zfs.ts"
import { define } from "../../runtime/Agent.ts"
import { vertexCapabilities, vertexMachine } from "./machine.ts"
import { Vertex } from "./messages.ts"

export const vertexAgent = define<Disks | Zfs>({
  protocol: Vertex,
  tier: "5-8",
  description: "Topology graph disk→partition→vdev→pool→dataset→mountpoint; what a disk's failure would take down",
  capabilities: vertexCapabilities,
  machine: vertexMachine
})
