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
