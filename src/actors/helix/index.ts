import { define } from "../../runtime/Agent.ts"
import { plannedCapability } from "../shared/planned.ts"
import { Helix } from "./messages.ts"

const snapshots = plannedCapability("snapshots", "takes and lists ZFS snapshots")
const replication = plannedCapability(
  "replication",
  "replicates a dataset with zfs send/receive, incremental from the last common snapshot, or with rsync where ZFS is absent"
)
const retention = plannedCapability("retention", "prunes the oldest snapshots beyond the number to keep")

export const helixAgent = define({
  protocol: Helix,
  tier: "2",
  description: "Snapshots and replication (zfs snapshot/send/receive, rsync fallback), retention pruning",
  capabilities: [snapshots, replication, retention]
})
