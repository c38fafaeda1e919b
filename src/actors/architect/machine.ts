/**
 * ARCHITECT: pool layouts from the disk inventory (lsblk). `recommend` offers
 * layouts for the disks that are free (no filesystem, no mount, not already a
 * ZFS member), or exactly the disks named; `validate` explains what is wrong
 * with a proposed layout. Every answer carries the exact `zpool create`
 * command, which LATTICE runs only when asked with confirm.
 */
import { Effect } from "effect"
import { type BlockDevice, Disks } from "../../adapters/disks/Disks.ts"
import type { Capability } from "../../runtime/Agent.ts"
import { type DiskInfo, diskInfoOf, recommend, validate } from "./layout.ts"
import { serviceMachine } from "../shared/serve.ts"
import { Architect, NoFreeDisks, NotAWholeDisk } from "./messages.ts"

export const architectCapabilities: ReadonlyArray<Capability> = [
  {
    name: "recommend",
    available: true,
    detail: "mirror, raidz1/2/3 and striped-mirror layouts for the free disks, with usable capacity, fault tolerance, " +
      "rebuild-risk notes and the exact `zpool create` command (dry-run); never mixes SSD/HDD or unlike sizes without a warning"
  },
  { name: "validate", available: true, detail: "checks a proposed layout against the inventory and explains each problem" }
]

/** Why a whole disk is not free, or undefined when it is. */
export const inUse = (device: BlockDevice): string | undefined => {
  const all: Array<BlockDevice> = []
  const visit = (d: BlockDevice) => {
    all.push(d)
    d.children.forEach(visit)
  }
  visit(device)
  const member = all.find((d) => d.fstype === "zfs_member")
  if (member !== undefined) return `it is a ZFS member${member.label === undefined ? "" : ` of pool ${member.label}`}`
  const mounted = all.find((d) => d.mountpoints.length > 0)
  if (mounted !== undefined) return `${mounted.path} is mounted at ${mounted.mountpoints[0]}`
  const formatted = all.find((d) => d.fstype !== undefined)
  if (formatted !== undefined) return `${formatted.path} holds a ${formatted.fstype} filesystem`
  return undefined
}

const matches = (device: BlockDevice, name: string) =>
  device.path === name || device.name === name || `/dev/${device.name}` === name

export const architectMachine = Effect.gen(function*() {
  const disks = yield* Disks

  /** The disks to plan with: the named ones (in use or not), else every free whole disk, and what was left out and why. */
  const inventory = (named: ReadonlyArray<string> | undefined) =>
    Effect.gen(function*() {
      const devices = yield* disks.list
      const skipped: Array<{ disk: string; reason: string }> = []
      const chosen: Array<DiskInfo> = []
      if (named !== undefined) {
        for (const name of named) {
          const device = devices.find((d) => matches(d, name))
          const info = device === undefined ? undefined : diskInfoOf(device)
          if (info === undefined) return yield* new NotAWholeDisk({ disk: name })
          chosen.push(info)
        }
        return { chosen, skipped }
      }
      for (const device of devices) {
        const info = diskInfoOf(device)
        if (info === undefined) continue
        const busy = inUse(device)
        if (busy === undefined) chosen.push(info)
        else skipped.push({ disk: device.path, reason: busy })
      }
      return { chosen, skipped }
    })

  return yield* serviceMachine(Architect, {
    handlers: {
      recommend: (message) =>
        Effect.gen(function*() {
          const { chosen, skipped } = yield* inventory(message.disks)
          if (chosen.length === 0) return yield* new NoFreeDisks({ skipped })
          return { ...recommend(chosen, message.goal ?? "balanced", { pool: message.pool ?? "tank" }), skipped }
        }),
      validate: (message) =>
        Effect.gen(function*() {
          const devices = yield* disks.list
          const known = devices.flatMap((d) => {
            const info = diskInfoOf(d)
            return info === undefined ? [] : [info]
          })
          return validate(message.pool, message.vdevs, known)
        })
    }
  })
})
