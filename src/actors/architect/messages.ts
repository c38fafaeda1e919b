/** ARCHITECT's protocol: the single source of its message schemas, replies, rejections and access classes. */
import { Schema } from "effect"
import { DISKS_ERRORS } from "../../adapters/disks/Disks.ts"
import { LayoutVdevKind } from "../../adapters/zfs/Zfs.ts"
import * as Protocol from "../../runtime/Protocol.ts"
import { Device, LayoutGoal, PoolName } from "../shared/fields.ts"

const Bytes = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))
const LayoutVdev = Schema.Struct({ kind: LayoutVdevKind, disks: Schema.Array(Schema.String) })
const Skipped = Schema.Struct({ disk: Schema.String, reason: Schema.String })

export const DiskKind = Schema.Literals(["hdd", "ssd", "nvme", "unknown"])
export type DiskKind = typeof DiskKind.Type
export type Goal = typeof LayoutGoal.Type

export const DiskInfo = Schema.Struct({
  path: Schema.String,
  sizeBytes: Bytes,
  kind: DiskKind,
  model: Schema.optional(Schema.String)
})
export type DiskInfo = typeof DiskInfo.Type

export const Candidate = Schema.Struct({
  name: Schema.String,
  vdevs: Schema.Array(LayoutVdev),
  spares: Schema.Array(Schema.String),
  usableBytes: Bytes,
  rawBytes: Bytes,
  /** Disks that may fail in the worst case without losing the pool. */
  faultTolerance: Schema.Int,
  notes: Schema.Array(Schema.String),
  warnings: Schema.Array(Schema.String),
  score: Schema.Finite,
  /** The exact `zpool create` argument vector; LATTICE runs it only with confirm. */
  command: Schema.Array(Schema.String),
  display: Schema.String
})
export type Candidate = typeof Candidate.Type

export const Problem = Schema.Struct({ severity: Schema.Literals(["error", "warning"]), text: Schema.String })
export type Problem = typeof Problem.Type

export const Validation = Schema.Struct({
  ok: Schema.Boolean,
  problems: Schema.Array(Problem),
  usableBytes: Schema.optional(Bytes),
  faultTolerance: Schema.optional(Schema.Int),
  command: Schema.Array(Schema.String),
  display: Schema.String
})
export type Validation = typeof Validation.Type

export const Recommendation = Schema.Struct({
  goal: LayoutGoal,
  disks: Schema.Array(DiskInfo),
  /** Disks left out of the recommended group, and why. */
  leftOut: Schema.Array(Skipped),
  warnings: Schema.Array(Schema.String),
  candidates: Schema.Array(Candidate)
})
export type Recommendation = typeof Recommendation.Type

export class NoFreeDisks extends Schema.TaggedError<NoFreeDisks>()("NoFreeDisks", { skipped: Schema.Array(Skipped) }) {
  override get message() {
    return "no free disks to lay out" + (this.skipped.length === 0 ? "" : `: ${this.skipped.map((s) => `${s.disk} (${s.reason})`).join(", ")}`)
  }
}

export class NotAWholeDisk extends Schema.TaggedError<NotAWholeDisk>()("NotAWholeDisk", { disk: Schema.String }) {
  override get message() {
    return `${this.disk} is not a whole disk lsblk knows`
  }
}

const Vdev = Schema.Struct({ kind: LayoutVdevKind, disks: Schema.NonEmptyArray(Device) })

export const Architect = Protocol.make("ARCHITECT", [
  Protocol.message("recommend", {
    doc: "layouts for the free disks (or the disks named), with usable capacity, fault tolerance and the exact `zpool create` line",
    access: "read",
    fields: {
      goal: Schema.optionalKey(LayoutGoal),
      /** Only these disks (by default: every whole disk not in use). */
      disks: Schema.optionalKey(Schema.NonEmptyArray(Device)),
      pool: Schema.optionalKey(PoolName)
    },
    reply: Schema.Struct({
      ...Recommendation.fields,
      /** Disks not considered because they are in use, and why. */
      skipped: Schema.Array(Skipped)
    }),
    rejections: [NoFreeDisks, NotAWholeDisk, ...DISKS_ERRORS]
  }),
  Protocol.message("validate", {
    doc: "what is wrong with a proposed layout, in words, and its capacity and command when nothing is",
    access: "read",
    fields: { pool: PoolName, vdevs: Schema.NonEmptyArray(Vdev) },
    reply: Validation,
    rejections: DISKS_ERRORS
  })
])
