/**
 * The schemas of HELIX's `replicate` message and its rejections (only
 * schemas: messages.ts imports them, and every client loads that).
 */
import { Schema } from "effect"
import { REPLICATION_ERRORS } from "../../adapters/zfs/Replication.ts"
import { DatasetName } from "../shared/fields.ts"

export const ReplicateFields = {
  /** The local dataset replicated; its newest snapshot is what the target gets. */
  dataset: DatasetName,
  /** A local dataset (another pool, say); it is created by the first replication. Remote targets are not supported. */
  target: DatasetName,
  /** Send every snapshot between the common one and the newest (`zfs send -I`, the default), or only the newest (`-i`). */
  intermediates: Schema.optionalKey(Schema.Boolean),
  /** Without it, the plan; with it, the replication. */
  confirm: Schema.optionalKey(Schema.Boolean)
}

export const ReplicationStep = Schema.Struct({
  kind: Schema.Literals(["resume", "full", "incremental"]),
  /** The snapshots the step starts from and brings the target to (absent for a resume). */
  from: Schema.optional(Schema.String),
  to: Schema.optional(Schema.String),
  /** The two argument vectors, tool first, joined by a pipe the daemon relays: [send, receive]. */
  send: Schema.Array(Schema.String),
  receive: Schema.Array(Schema.String),
  /** As a person would type it. */
  display: Schema.String,
  /** What `zfs send -n -P` expects to send, when it says. */
  estimatedBytes: Schema.optional(Schema.Number),
  /** Bytes that went through, once executed. */
  bytes: Schema.optional(Schema.Number)
})
export type ReplicationStep = typeof ReplicationStep.Type

export const ReplicationPlan = Schema.Struct({
  dataset: Schema.String,
  target: Schema.String,
  /** The newest snapshot both sides share (by GUID), on the source, before this run. */
  common: Schema.optional(Schema.String),
  /** Nothing to send: the target already has the source's newest snapshot. */
  upToDate: Schema.Boolean,
  steps: Schema.Array(ReplicationStep),
  /** The target's snapshots newer than the common one: `zfs receive -F` destroys them. */
  discards: Schema.Array(Schema.String),
  /** The hold that keeps the common snapshot on both sides (so no prune removes it), and where it goes and comes off. */
  hold: Schema.Struct({
    tag: Schema.String,
    place: Schema.Array(Schema.String),
    release: Schema.Array(Schema.String)
  }),
  executed: Schema.Boolean,
  /** Bytes sent in all, once executed. */
  bytes: Schema.optional(Schema.Number)
})
export type ReplicationPlan = typeof ReplicationPlan.Type

export class NoSnapshotToSend extends Schema.TaggedError<NoSnapshotToSend>()("NoSnapshotToSend", {
  dataset: Schema.String
}) {
  override get message() {
    return `${this.dataset} has no snapshot to send: take one first (HELIX snapshot)`
  }
}

export class NoCommonSnapshot extends Schema.TaggedError<NoCommonSnapshot>()("NoCommonSnapshot", {
  dataset: Schema.String,
  target: Schema.String,
  targetSnapshots: Schema.Number
}) {
  override get message() {
    return `${this.target} exists but shares no snapshot with ${this.dataset} (it has ${this.targetSnapshots} snapshot(s), none with a GUID of the source's): ` +
      `an incremental send is impossible and a full one would overwrite it; destroy it or choose another target`
  }
}

export class InvalidReplicationPair extends Schema.TaggedError<InvalidReplicationPair>()("InvalidReplicationPair", {
  dataset: Schema.String,
  target: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `cannot replicate ${this.dataset} to ${this.target}: ${this.reason}`
  }
}

export const REPLICATE_REJECTIONS = [NoSnapshotToSend, NoCommonSnapshot, InvalidReplicationPair, ...REPLICATION_ERRORS] as const

/** What HELIX remembers of a pair, for the next run and for retention. */
export const ReplicationPair = Schema.Struct({
  dataset: Schema.String,
  target: Schema.String,
  tag: Schema.String,
  /** The snapshot both sides share (held on both), source and target names. */
  common: Schema.optional(Schema.Struct({ source: Schema.String, target: Schema.String, guid: Schema.String })),
  lastRun: Schema.optional(Schema.Struct({ at: Schema.String, bytes: Schema.Number, outcome: Schema.String }))
})
export type ReplicationPair = typeof ReplicationPair.Type

export const ReplicationPairs = Schema.Struct({ pairs: Schema.Array(ReplicationPair) })

export const PairsReply = Schema.Struct({ pairs: Schema.Array(ReplicationPair) })
