import type { Disks } from "../../adapters/disks/Disks.ts"
import { define } from "../../runtime/Agent.ts"
import { architectCapabilities, architectMachine } from "./machine.ts"
import { Architect } from "./messages.ts"

export const architectAgent = define<Disks>({
  protocol: Architect,
  tier: "1",
  description: "Recommends ZFS vdev layouts from the disk inventory (capacity, fault tolerance, exact `zpool create` line); validates proposed layouts",
  capabilities: architectCapabilities,
  machine: architectMachine
})
