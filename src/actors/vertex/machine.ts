/**
 * VERTEX: the storage topology (disk → partition → vdev → pool → dataset →
 * mountpoint) from lsblk and ZFS, read fresh for each question, and what a
 * disk's death would do given the redundancy above it. A machine without ZFS
 * still has a topology: its disks and partitions.
 */
import { Effect } from "effect"
import { Disks } from "../../adapters/disks/Disks.ts"
import { Zfs } from "../../adapters/zfs/Zfs.ts"
import { AgentEnv, type Capability } from "../../runtime/Agent.ts"
import { Bridge } from "../bridge/messages.ts"
import { failedDependency } from "../shared/rejections.ts"
import { serviceMachine } from "../shared/serve.ts"
import { buildTopology, impact, type ShareInput, topologyView } from "./topology.ts"
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
  {
    name: "shares",
    available: true,
    detail: "asks BRIDGE for the SMB/NFS shares and places each under the mountpoint (dataset, pool) holding its path, so `impact` names the shares that go dark"
  }
]

export const vertexMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const disks = yield* Disks
  const zfs = yield* Zfs

  /** Pools and datasets, or none (with the reason) when ZFS is not installed or cannot be read. */
  const zfsState = Effect.all([zfs.status(), zfs.datasets()]).pipe(
    Effect.map(([pools, datasets]) => ({ pools, datasets, zfs: "ok" as string })),
    Effect.catch((error) => Effect.succeed({ pools: [], datasets: [], zfs: error.message }))
  )

  /** The shares BRIDGE keeps, or none (with the reason) when BRIDGE cannot be asked. */
  const sharesState = failedDependency("BRIDGE")(env.system.call(Bridge, { type: "shares", live: false })).pipe(
    Effect.map((reply) => ({ shares: reply.shares.map((s): ShareInput => ({ protocol: s.spec.protocol, name: s.spec.name, path: s.spec.path })), note: undefined })),
    Effect.catch((error) => Effect.succeed({ shares: [] as ReadonlyArray<ShareInput>, note: error.message as string | undefined }))
  )

  const current = Effect.gen(function*() {
    const [devices, state, shared] = yield* Effect.all([disks.list, zfsState, sharesState])
    return {
      topology: buildTopology({ devices, pools: state.pools, datasets: state.datasets, shares: shared.shares }),
      notes: { ...(state.zfs === "ok" ? {} : { zfs: state.zfs }), ...(shared.note === undefined ? {} : { sharesNote: shared.note }) }
    }
  })

  return yield* serviceMachine(Vertex, {
    handlers: {
      topology: () => Effect.map(current, ({ notes, topology }) => ({ ...topologyView(topology), ...notes })),
      impact: (message) => Effect.map(current, ({ notes, topology }) => ({ ...impact(topology, message.disk), ...notes })),
      shares: () => Effect.map(current, ({ notes, topology }) => ({ shares: topology.shares, ...notes }))
    }
  })
})
