/**
 * VERTEX: the storage topology (disk → partition → vdev → pool → dataset →
 * mountpoint) from lsblk and ZFS, read fresh for each question, and what a
 * disk's death would do given the redundancy above it. A machine without ZFS
 * still has a topology: its disks and partitions.
 */
import { Effect } from "effect"
import { Disks } from "../../adapters/disks/Disks.ts"
import { Zfs } from "../../adapters/zfs/Zfs.ts"
import type { Capability } from "../../runtime/Agent.ts"
import { buildTopology, impact, topologyView } from "./topology.ts"
import { plannedCapability } from "../shared/planned.ts"
import { serviceMachine } from "../shared/serve.ts"
import { Vertex } from "./messages.ts"

export const vertexCapabilities: ReadonlyArray<Capability> = [
  {
    name: "topology",
    available: true,
    detail: "the graph disk → partition → vdev → pool → dataset → mountpoint, from `lsblk -J -b -O`, `zpool status -j` and `zfs list -j`"
  },
  {
    name: "impact",
    available: true,
    detail: "which pools and datasets degrade or fail if a disk dies, counting devices already failed and each vdev's redundancy"
  },
  plannedCapability("shares", "adds the SMB/NFS shares BRIDGE exports to the graph")
]

export const vertexMachine = Effect.gen(function*() {
  const disks = yield* Disks
  const zfs = yield* Zfs

  /** Pools and datasets, or none (with the reason) when ZFS is not installed or cannot be read. */
  const zfsState = Effect.all([zfs.status(), zfs.datasets()]).pipe(
    Effect.map(([pools, datasets]) => ({ pools, datasets, zfs: "ok" as string })),
    Effect.catch((error) => Effect.succeed({ pools: [], datasets: [], zfs: error.message }))
  )

  const current = Effect.gen(function*() {
    const [devices, state] = yield* Effect.all([disks.list, zfsState])
    return { topology: buildTopology({ devices, pools: state.pools, datasets: state.datasets }), zfs: state.zfs }
  })

  return yield* serviceMachine(Vertex, {
    handlers: {
      topology: () => Effect.map(current, ({ topology, zfs }) => ({ ...topologyView(topology), ...(zfs === "ok" ? {} : { zfs }) })),
      impact: (message) =>
        Effect.map(current, ({ topology, zfs }) => ({ ...impact(topology, message.disk), ...(zfs === "ok" ? {} : { zfs }) }))
    }
  })
})
