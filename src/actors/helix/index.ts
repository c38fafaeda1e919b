import type { AgentDefinition } from "../../runtime/Agent.ts"
import { helixCapabilities, helixMachine } from "./machine.ts"
import { HelixMessages } from "./messages.ts"

export const helixAgent: AgentDefinition = {
  name: "HELIX",
  tier: "2",
  description: "Snapshots and replication (zfs snapshot/send/receive, rsync fallback), retention pruning",
  capabilities: helixCapabilities,
  messages: HelixMessages,
  machine: helixMachine
}
