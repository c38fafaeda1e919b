/**
 * GENESIS's protocol: first-run setup. `discover` lists the disks no pool
 * uses yet (lsblk minus the ZFS leaves, resolved through /dev/disk/by-id),
 * with ORACLE's health of each; `setup-plan` asks ARCHITECT for a layout and
 * answers ONE APEX plan (pool, datasets, shares, snapshot policy, scrub
 * schedule) as a dry run; `setup` with confirm hands that plan to APEX `run`
 * on the caller's behalf. GENESIS itself never changes anything.
 */
import { Schema } from "effect"
import { DISKS_ERRORS } from "../../adapters/disks/Disks.ts"
import * as Protocol from "../../runtime/Protocol.ts"
import { DiskKind } from "../architect/messages.ts"
import { LayoutGoal } from "../shared/fields.ts"
import { Plan } from "../shared/plan.ts"
import { DependencyFailed } from "../shared/rejections.ts"

const Bytes = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))

/** ORACLE's judgement of a disk, or "unknown" (with the reason) when ORACLE could not read it. */
export const DiskHealth = Schema.Struct({
  level: Schema.Literals(["ok", "watch", "warn", "critical", "unknown"]),
  /** ORACLE's evidence in words, or why the health is unknown. */
  detail: Schema.String
})
export type DiskHealth = typeof DiskHealth.Type

export const FreeDisk = Schema.Struct({
  /** The kernel's path: "/dev/sda". */
  device: Schema.String,
  /** The stable name the pool is built with, when /dev/disk/by-id has one. */
  byId: Schema.optional(Schema.String),
  sizeBytes: Bytes,
  kind: DiskKind,
  model: Schema.optional(Schema.String),
  serial: Schema.optional(Schema.String),
  rotational: Schema.optional(Schema.Boolean),
  health: DiskHealth
})
export type FreeDisk = typeof FreeDisk.Type

/** A disk left out, and why (in a pool, mounted, holding the root filesystem, failing, …). */
export const LeftOut = Schema.Struct({ device: Schema.String, reason: Schema.String })
export type LeftOut = typeof LeftOut.Type

export const Discovery = Schema.Struct({
  /** Whole disks no pool, filesystem or mount uses, that ORACLE does not call failing. */
  disks: Schema.Array(FreeDisk),
  /** Free disks ORACLE says are failing (warn or critical): never offered for a pool. */
  refused: Schema.Array(Schema.Struct({ ...FreeDisk.fields, reason: Schema.String })),
  /** Disks in use and why. */
  used: Schema.Array(LeftOut),
  /** What could not be read (ZFS absent, ORACLE unavailable, no by-id directory). */
  notes: Schema.Array(Schema.String)
})
export type Discovery = typeof Discovery.Type

export const ChosenLayout = Schema.Struct({
  name: Schema.String,
  /** The `zpool create` line as ARCHITECT wrote it (kernel names). */
  display: Schema.String,
  usableBytes: Bytes,
  faultTolerance: Schema.Int,
  /** The disks the pool is built from, as the plan names them (by-id where possible). */
  disks: Schema.Array(Schema.String),
  /** Disks ARCHITECT keeps as hot spares (not added by the plan: LATTICE's create-pool takes no spare vdev). */
  spares: Schema.Array(Schema.String)
})

export const SetupPlan = Schema.Struct({
  goal: LayoutGoal,
  /** The plan APEX runs; every task's message was checked against its agent's protocol. */
  plan: Plan,
  layout: ChosenLayout,
  /** The plan in words, one line per step. */
  summary: Schema.Array(Schema.String),
  /** Things the administrator should know before confirming (no redundancy, disks left out, health unknown). */
  warnings: Schema.Array(Schema.String),
  discovery: Discovery,
  /** Free disks ARCHITECT left out of the layout, and why. */
  leftOut: Schema.Array(LeftOut)
})
export type SetupPlan = typeof SetupPlan.Type

export class NoUnpooledDisks extends Schema.TaggedError<NoUnpooledDisks>()("NoUnpooledDisks", {
  used: Schema.Array(LeftOut),
  refused: Schema.Array(LeftOut)
}) {
  override get message() {
    const all = [...this.refused, ...this.used]
    return "no unpooled disks to set up" + (all.length === 0 ? " (lsblk lists no whole disks)" : `: ${all.map((d) => `${d.device} (${d.reason})`).join("; ")}`)
  }
}

export class InvalidSetupPlan extends Schema.TaggedError<InvalidSetupPlan>()("InvalidSetupPlan", {
  task: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `the setup plan's task '${this.task}' is not valid: ${this.reason}`
  }
}

const GoalField = { goal: Schema.optionalKey(LayoutGoal) }
const PLAN_REJECTIONS = [NoUnpooledDisks, InvalidSetupPlan, DependencyFailed, ...DISKS_ERRORS] as const

export const Genesis = Protocol.make("GENESIS", [
  Protocol.message("discover", {
    doc: "disks not in a pool yet (lsblk minus ZFS leaves, by-id names), with size, model, serial and ORACLE's health",
    access: "read",
    reply: Discovery,
    rejections: [DependencyFailed, ...DISKS_ERRORS]
  }),
  Protocol.message("setup-plan", {
    doc: "a dry-run first-run plan for APEX: pool (ARCHITECT's layout), datasets, SMB shares, snapshot policy, scrub schedule",
    access: "read",
    fields: GoalField,
    reply: SetupPlan,
    rejections: PLAN_REJECTIONS
  }),
  Protocol.message("setup", {
    doc: "the setup plan: without confirm the dry run; with confirm it is handed to APEX `run` on the caller's behalf",
    access: "admin",
    fields: { ...GoalField, confirm: Schema.optionalKey(Schema.Boolean) },
    reply: Schema.Struct({
      ...SetupPlan.fields,
      /** True once APEX accepted the plan. */
      executed: Schema.Boolean,
      /** APEX's answer to `run` (the plan's id and state). */
      apex: Schema.optional(Schema.Json)
    }),
    rejections: PLAN_REJECTIONS
  })
])
