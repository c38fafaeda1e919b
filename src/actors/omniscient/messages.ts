/** OMNISCIENT's protocol: the single source of its message schemas, replies, rejections and access classes. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { SystemSummary, TreeNode } from "../../runtime/Status.ts"
import { LeaseJob, ResourceName } from "../arbiter/messages.ts"
import { AgentName } from "../shared/fields.ts"
import { DependencyFailed } from "../shared/rejections.ts"

const WantedJob = Schema.Struct({
  job: LeaseJob,
  resource: ResourceName,
  /** Who would run it, for the reader. */
  agent: Schema.optionalKey(AgentName)
})

export const PlacedJob = Schema.Struct({
  /** 1-based: the order to start them in. */
  position: Schema.Int,
  job: LeaseJob,
  resource: Schema.String,
  agent: Schema.optionalKey(Schema.String),
  /** 1: may start now; each later wave after the leases and earlier jobs it conflicts with. */
  wave: Schema.Int,
  reason: Schema.String,
  /** Leases held now ("lease-3 (LATTICE scrub on pool:tank until …)") and earlier jobs ("#1 resilver on pool:tank") it waits for. */
  waitsFor: Schema.Array(Schema.String)
})

export const Omniscient = Protocol.make("OMNISCIENT", [
  Protocol.message("summary", {
    doc: "agents running, restarting, failed and stopped; dead letters; escalations",
    access: "read",
    reply: SystemSummary
  }),
  Protocol.message("tree", {
    doc: "the supervision tree: tier supervisors and their agents with state and restarts",
    access: "read",
    reply: TreeNode
  }),
  Protocol.message("prioritise", {
    doc: "orders competing jobs (resilver, scrub, replication … benchmark) into waves, given ARBITER's leases held now, with the reason for each place; starts nothing",
    access: "read",
    fields: { jobs: Schema.Array(WantedJob).check(Schema.isMinLength(1), Schema.isMaxLength(100)) },
    reply: Schema.Struct({
      at: Schema.String,
      /** The leases held now that were taken into account. */
      leases: Schema.Int,
      order: Schema.Array(PlacedJob)
    }),
    rejections: [DependencyFailed]
  })
])
