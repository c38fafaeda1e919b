import { Schema } from "effect"
import { DatasetName, Device, PoolName } from "../shared/fields.ts"

const Properties = Schema.Record(Schema.String, Schema.String)
/** Changes are planned unless `confirm` is true: the reply carries the exact command either way. */
const Confirm = Schema.optionalKey(Schema.Boolean)

const Vdev = Schema.Struct({
  kind: Schema.Literals(["stripe", "mirror", "raidz1", "raidz2", "raidz3"]),
  disks: Schema.NonEmptyArray(Device)
})

export const LatticeMessages = Schema.Union([
  Schema.Struct({ type: Schema.Literal("health"), pool: Schema.optionalKey(PoolName) }),
  Schema.Struct({ type: Schema.Literal("datasets"), root: Schema.optionalKey(DatasetName) }),
  Schema.Struct({
    type: Schema.Literal("scrub"),
    pool: PoolName,
    action: Schema.Literals(["start", "pause", "stop", "status"])
  }),
  Schema.Struct({ type: Schema.Literal("schedule-scrub"), pool: PoolName, cron: Schema.optionalKey(Schema.String) }),
  Schema.Struct({
    type: Schema.Literal("create-pool"),
    pool: PoolName,
    vdevs: Schema.NonEmptyArray(Vdev),
    properties: Schema.optionalKey(Properties),
    confirm: Confirm
  }),
  Schema.Struct({
    type: Schema.Literal("create-dataset"),
    dataset: DatasetName,
    properties: Schema.optionalKey(Properties),
    confirm: Confirm
  }),
  Schema.Struct({
    type: Schema.Literal("set"),
    dataset: DatasetName,
    property: Schema.String,
    value: Schema.String,
    confirm: Confirm
  }),
  Schema.Struct({
    type: Schema.Literal("destroy"),
    dataset: DatasetName,
    recursive: Schema.optionalKey(Schema.Boolean),
    confirm: Confirm
  })
])
export type LatticeMessage = typeof LatticeMessages.Type
