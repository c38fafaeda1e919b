import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { HelixMessage } from "./messages.ts"

const snapshots = plannedCapability("snapshots", "takes and lists ZFS snapshots")
const replication = plannedCapability(
  "replication",
  "replicates a dataset with zfs send/receive, incremental from the last common snapshot, or with rsync where ZFS is absent"
)
const retention = plannedCapability("retention", "prunes the oldest snapshots beyond the number to keep")

export const helixCapabilities = [snapshots, replication, retention]

export const helixMachine = plannedMachine<HelixMessage>({
  snapshot: snapshots,
  snapshots,
  replicate: replication,
  prune: retention
})
