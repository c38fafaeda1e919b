import { Schema } from "effect"
import { Device, LayoutGoal, PoolName } from "../shared/fields.ts"

const Vdev = Schema.Struct({
  kind: Schema.Literals(["stripe", "mirror", "raidz1", "raidz2", "raidz3"]),
  disks: Schema.NonEmptyArray(Device)
})

export const ArchitectMessages = Schema.Union([
  Schema.Struct({
    type: Schema.Literal("recommend"),
    goal: Schema.optionalKey(LayoutGoal),
    /** Only these disks (by default: every whole disk not in use). */
    disks: Schema.optionalKey(Schema.NonEmptyArray(Device)),
    pool: Schema.optionalKey(PoolName)
  }),
  Schema.Struct({ type: Schema.Literal("validate"), pool: PoolName, vdevs: Schema.NonEmptyArray(Vdev) })
])
export type ArchitectMessage = typeof ArchitectMessages.Type
