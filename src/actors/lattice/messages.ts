/** LATTICE's protocol: the single source of its message schemas, replies, rejections and access classes. */
import { Schema } from "effect"
import { Dataset, LayoutVdevKind, Planned, ScanStatus, ZFS_ERRORS } from "../../adapters/zfs/Zfs.ts"
import * as Protocol from "../../runtime/Protocol.ts"
import { InvalidSchedule } from "../orbit/messages.ts"
import { DatasetName, DatasetOrSnapshotName, Device, PoolName } from "../shared/fields.ts"
import { LeaseConflict } from "../arbiter/messages.ts"
import { DependencyFailed } from "../shared/rejections.ts"

/** ok below 80 %, then warn, high, critical at 80/90/95 % by default (see capacity.ts). */
export const CapacityLevel = Schema.Literals(["ok", "warn", "high", "critical"])
export type CapacityLevel = typeof CapacityLevel.Type

export const DeviceProblem = Schema.Struct({
  /** The vdev's path through the tree: "raidz1-0/sdc". */
  vdev: Schema.String,
  state: Schema.String,
  readErrors: Schema.Int,
  writeErrors: Schema.Int,
  checksumErrors: Schema.Int
})
export type DeviceProblem = typeof DeviceProblem.Type

export const PoolHealth = Schema.Struct({
  name: Schema.String,
  state: Schema.String,
  healthy: Schema.Boolean,
  capacity: Schema.optional(Schema.Struct({
    percent: Schema.Finite,
    sizeBytes: Schema.Finite,
    allocatedBytes: Schema.Finite,
    freeBytes: Schema.Finite,
    level: CapacityLevel
  })),
  /** Sums over every leaf device. */
  errors: Schema.Struct({ read: Schema.Int, write: Schema.Int, checksum: Schema.Int }),
  /** Devices not ONLINE or with errors. */
  problems: Schema.Array(DeviceProblem),
  scrub: ScanStatus,
  status: Schema.optional(Schema.String),
  action: Schema.optional(Schema.String),
  /** zpool's message id for the status ("ZFS-8000-2Q"): MENTOR explains it. */
  msgid: Schema.optional(Schema.String),
  dataErrors: Schema.String
})
export type PoolHealth = typeof PoolHealth.Type

export class NoSuchPool extends Schema.TaggedError<NoSuchPool>()("NoSuchPool", { pool: Schema.String }) {
  override get message() {
    return `no pool named '${this.pool}'`
  }
}

const Properties = Schema.Record(Schema.String, Schema.String)
/** Changes are planned unless `confirm` is true: the reply carries the exact command either way. */
const Confirm = Schema.optionalKey(Schema.Boolean)

const Vdev = Schema.Struct({ kind: LayoutVdevKind, disks: Schema.NonEmptyArray(Device) })

const ScrubAction = Schema.Literals(["start", "pause", "stop", "status"])

export const Lattice = Protocol.make("LATTICE", [
  Protocol.message("health", {
    doc: "every pool (or one), read afresh: state, errors, problem devices, capacity level, scrub progress",
    access: "read",
    fields: { pool: Schema.optionalKey(PoolName) },
    reply: Schema.Struct({ checkedAt: Schema.String, healthy: Schema.Boolean, pools: Schema.Array(PoolHealth) }),
    rejections: [NoSuchPool, ...ZFS_ERRORS]
  }),
  Protocol.message("datasets", {
    doc: "every dataset (or one and its descendants): used, available, referenced, mountpoint",
    access: "read",
    fields: { root: Schema.optionalKey(DatasetName) },
    reply: Schema.Struct({ datasets: Schema.Array(Dataset) }),
    rejections: ZFS_ERRORS
  }),
  Protocol.message("scrub", {
    doc: "starts, pauses or stops a scrub of a pool, or reports its progress; a scrub holds ARBITER's lease on the pool while it runs",
    access: "operate",
    fields: { pool: PoolName, action: ScrubAction },
    reply: Schema.Struct({ pool: Schema.String, action: ScrubAction, scrub: Schema.optional(ScanStatus) }),
    rejections: [LeaseConflict, DependencyFailed, ...ZFS_ERRORS]
  }),
  Protocol.message("schedule-scrub", {
    doc: "registers a recurring scrub of a pool with ORBIT (monthly unless a cron expression is given)",
    access: "operate",
    fields: { pool: PoolName, cron: Schema.optionalKey(Schema.String) },
    reply: Schema.Struct({
      scheduled: Schema.String,
      cron: Schema.String,
      /** The schedule was already there (registered earlier, or by hand). */
      existed: Schema.Boolean,
      nextRun: Schema.NullOr(Schema.String)
    }),
    rejections: [InvalidSchedule, DependencyFailed]
  }),
  Protocol.message("create-pool", {
    doc: "plans `zpool create` with the given vdevs; runs it only with confirm",
    access: "admin",
    fields: { pool: PoolName, vdevs: Schema.NonEmptyArray(Vdev), properties: Schema.optionalKey(Properties), confirm: Confirm },
    reply: Planned,
    rejections: ZFS_ERRORS
  }),
  Protocol.message("create-dataset", {
    doc: "plans `zfs create`; runs it only with confirm",
    access: "admin",
    fields: { dataset: DatasetName, properties: Schema.optionalKey(Properties), confirm: Confirm },
    reply: Planned,
    rejections: ZFS_ERRORS
  }),
  Protocol.message("set", {
    doc: "plans `zfs set property=value`; runs it only with confirm",
    access: "admin",
    fields: { dataset: DatasetName, property: Schema.String, value: Schema.String, confirm: Confirm },
    reply: Planned,
    rejections: ZFS_ERRORS
  }),
  Protocol.message("destroy", {
    doc: "plans `zfs destroy` of a dataset or a snapshot (dataset@name; recursive on request); runs it only with confirm",
    access: "admin",
    fields: { dataset: DatasetOrSnapshotName, recursive: Schema.optionalKey(Schema.Boolean), confirm: Confirm },
    reply: Planned,
    rejections: ZFS_ERRORS
  })
])
