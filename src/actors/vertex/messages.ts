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

export const Impact = Schema.Struct({
  disk: Schema.String,
  found: Schema.Boolean,
  partitions: Schema.Array(Schema.String),
  mountpoints: Schema.Array(Schema.String),
  pools: Schema.Array(PoolImpact),
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
      ...ZfsNote
    }),
    rejections: DISKS_ERRORS
  }),
  Protocol.message("impact", {
    doc: "which pools and datasets degrade or fail if a disk dies",
    access: "read",
    fields: { disk: Device },
    reply: Schema.Struct({ ...Impact.fields, ...ZfsNote }),
    rejections: DISKS_ERRORS
  }),
  Protocol.planned("shares", {
    doc: "the SMB and NFS shares BRIDGE exports, in the graph",
    access: "read",
    capability: "shares"
  })
])
