import type { Disks } from "../../adapters/disks/Disks.ts"
import type { AgentDefinition } from "../../runtime/Agent.ts"
import { architectCapabilities, architectMachine } from "./machine.ts"
import { ArchitectMessages } from "./messages.ts"

export const architectAgent: AgentDefinition<Disks> = {
  name: "ARCHITECT",
  tier: "1",
  description: "Recommends ZFS vdev layouts from the disk inventory (capacity, fault tolerance, exact `zpool create` line); validates proposed layouts",
  capabilities: architectCapabilities,
  messages: ArchitectMessages,
  machine: architectMachine
}
