/**
 * Port: the block devices as `lsblk -J -b -O` reports them, normalised over
 * util-linux versions (`mountpoint` before 2.37, `mountpoints` after; numbers
 * as strings or numbers; nulls; "0"/"1" or booleans for flags).
 */
import { Context, type Effect, Schema } from "effect"
import { CommandExited, CommandFailed, CommandTimedOut, OutputTooLarge, type RunError, ToolMissing } from "../command/Command.ts"
import { DecodeError } from "../command/DecodeError.ts"

export class DisksError extends Schema.TaggedError<DisksError>()("DisksError", { reason: Schema.String }) {
  override get message() {
    return `cannot list block devices: ${this.reason}`
  }
}

/** Every error of `list`, for the protocols of agents that pass them on as rejections. */
export const DISKS_ERRORS = [
  DisksError,
  ToolMissing,
  CommandTimedOut,
  OutputTooLarge,
  CommandFailed,
  CommandExited,
  DecodeError
] as const

export interface BlockDevice {
  /** "sda", "nvme0n1p1" */
  readonly name: string
  /** "/dev/sda"; built from the name when lsblk does not give a path. */
  readonly path: string
  /** "disk", "part", "loop", "rom", "lvm", "crypt", "raid1", … */
  readonly type: string
  readonly sizeBytes: number
  /** True for spinning disks; undefined when lsblk does not say. */
  readonly rotational?: boolean | undefined
  /** "sata", "sas", "nvme", "usb", … */
  readonly transport?: string | undefined
  readonly model?: string | undefined
  readonly serial?: string | undefined
  readonly wwn?: string | undefined
  readonly fstype?: string | undefined
  readonly label?: string | undefined
  readonly uuid?: string | undefined
  /** ZFS members show fstype "zfs_member" and the pool name as label. */
  readonly mountpoints: ReadonlyArray<string>
  readonly removable: boolean
  readonly readOnly: boolean
  readonly children: ReadonlyArray<BlockDevice>
}

export class Disks extends Context.Service<Disks, {
  /** The device tree: whole devices at the top, partitions (and holders) as children. */
  readonly list: Effect.Effect<ReadonlyArray<BlockDevice>, DisksError | RunError | CommandExited | DecodeError>
}>()("sigmavault/adapters/disks/Disks") {}

/** A device of the tree and the whole disk it is on (itself for a disk). */
export interface PlacedDevice {
  readonly device: BlockDevice
  readonly disk: BlockDevice
}

/** Every device of the tree, depth first, each with the whole disk it is on. */
export const flattenDevices = (devices: ReadonlyArray<BlockDevice>): Array<PlacedDevice> => {
  const out: Array<PlacedDevice> = []
  const visit = (device: BlockDevice, disk: BlockDevice) => {
    out.push({ device, disk })
    for (const child of device.children) visit(child, disk)
  }
  for (const device of devices) visit(device, device)
  return out
}

/** The medium, for layout and rebuild-time estimates: NVMe by transport or name, else by the rotational flag. */
export const mediumOf = (device: BlockDevice): "hdd" | "ssd" | "nvme" | "unknown" =>
  device.transport === "nvme" || device.name.startsWith("nvme")
    ? "nvme"
    : device.rotational === true
    ? "hdd"
    : device.rotational === false
    ? "ssd"
    : "unknown"
