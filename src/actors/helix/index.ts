import type { StateStore } from "../../adapters/state/StateStore.ts"
import type { PathSnapshots } from "../../adapters/pathsnap/PathSnapshots.ts"
import type { ZfsReplication } from "../../adapters/zfs/Replication.ts"
import type { Zfs } from "../../adapters/zfs/Zfs.ts"
import { define } from "../../runtime/Agent.ts"
import { helixCapabilities, helixMachine } from "./machine.ts"
import { Helix } from "./messages.ts"

export const helixAgent = define<Zfs | StateStore | ZfsReplication | PathSnapshots>({
  protocol: Helix,
  tier: "2",
  description: "Snapshots by sanoid-style policy (zfs snapshot/list/hold, retention with a reason for every snapshot, scheduled autosnap and autoprune, age warnings); replication",
  capabilities: helixCapabilities,
  machine: helixMachine
})
