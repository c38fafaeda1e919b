/** VERTEX's protocol: the single source of its message schemas, replies, rejections and access classes. */
import { Schema } from "effect"
import { DISKS_ERRORS } from "../../adapters/disks/Disks.ts"
import * as Protocol from "../../runtime/Protocol.ts"
import { Device } from "../shared/fields.ts"

export const NodeKind = Schema.Literals(["disk", "partition", "vdev", "pool", "dataset", "mountpoint", "share"])
export type NodeKind = typeof NodeKind.Type

export const TopologyNode = Schema.Struct({
  id: Schema.String,
  kind: NodeKind,
  label: Schema.String,
  state: Schema.optional(Schema.String)
})
export type TopologyNode = typeof TopologyNode.Type

const Edge = Schema.Struct({ from: Schema.String, to: Schema.String })

/** Why the graph has no pools or datasets: ZFS is not installed or could not be read. */
const ZfsNote = { zfs: Schema.optionalKey(Schema.String) }

export const Outcome = Schema.Literals(["unaffected", "degraded", "faulted"])
export type Outcome = typeof Outcome.Type

export const PoolImpact = Schema.Struct({
  pool: Schema.String,
  outcome: Outcome,
  because: Schema.String,
  /** Datasets of a degraded or faulted pool, with their mountpoints. */
  datasets: Schema.Array(Schema.Struct({ name: Schema.String, mountpoint: Schema.optional(Schema.String) }))
})
export type PoolImpact = typeof PoolImpact.Type

/** A share BRIDGE exports, placed in the graph: the mountpoint holding its path, and that mountpoint's dataset and pool. */
export const SharePlace = Schema.Struct({
  protocol: Schema.Literals(["smb", "nfs"]),
  name: Schema.String,
  path: Schema.String,
  mountpoint: Schema.optionalKey(Schema.String),
  dataset: Schema.optionalKey(Schema.String),
  pool: Schema.optionalKey(Schema.String)
})
export type SharePlace = typeof SharePlace.Type

/** A share a disk's death reaches: faulted (it goes dark) or degraded (it stays up on less redundancy). */
export const ShareImpact = Schema.Struct({ ...SharePlace.fields, outcome: Outcome })
export type ShareImpact = typeof ShareImpact.Type

/** Why the graph has no shares: BRIDGE could not be asked. */
const SharesNote = { sharesNote: Schema.optionalKey(Schema.String) }

export const Impact = Schema.Struct({
  disk: Schema.String,
  found: Schema.Boolean,
  partitions: Schema.Array(Schema.String),
  mountpoints: Schema.Array(Schema.String),
  pools: Schema.Array(PoolImpact),
  /** The shares on what dies or degrades. */
  shares: Schema.Array(ShareImpact),
  text: Schema.String
})
export type Impact = typeof Impact.Type

export const Vertex = Protocol.make("VERTEX", [
  Protocol.message("topology", {
    doc: "the graph disk → partition → vdev → pool → dataset → mountpoint",
    access: "read",
    reply: Schema.Struct({
      nodes: Schema.Array(TopologyNode),
      edges: Schema.Array(Edge),
      /** ZFS leaf devices no block device matched (by-id links of absent disks, files). */
      unresolved: Schema.Array(Schema.String),
      ...ZfsNote,
      ...SharesNote
    }),
    rejections: DISKS_ERRORS
  }),
  Protocol.message("impact", {
    doc: "which pools and datasets degrade or fail if a disk dies",
    access: "read",
    fields: { disk: Device },
    reply: Schema.Struct({ ...Impact.fields, ...ZfsNote, ...SharesNote }),
    rejections: DISKS_ERRORS
  }),
  Protocol.message("shares", {
    doc: "the SMB and NFS shares BRIDGE exports, each with the mountpoint, dataset and pool that hold it",
    access: "read",
    reply: Schema.Struct({ shares: Schema.Array(SharePlace), ...ZfsNote, ...SharesNote }),
    rejections: DISKS_ERRORS
  })
])
