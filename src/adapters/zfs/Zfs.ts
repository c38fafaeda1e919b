/**
 * Port: ZFS pools and datasets as OpenZFS ≥ 2.3 reports them in JSON
 * (`zpool list -j`, `zpool status -j`, `zfs list -j`, `zfs get -j`), and the
 * commands that change them. Commands that change state are planned (the
 * exact argument vector is returned) and only run with `confirm: true`.
 */
import { Context, type Effect, Schema } from "effect"
import { CommandExited, CommandFailed, CommandTimedOut, OutputTooLarge, type RunError } from "../command/Command.ts"
import { DecodeError } from "../command/DecodeError.ts"
import { InvalidName } from "../command/names.ts"

/** zpool is not on PATH: the machine has no ZFS (a normal state, not a crash). */
export class ZfsNotInstalled extends Schema.TaggedError<ZfsNotInstalled>()("ZfsNotInstalled", {}) {
  override get message() {
    return "ZFS is not installed (zpool and zfs are not on PATH)"
  }
}

export type ZfsError = ZfsNotInstalled | Exclude<RunError, { readonly _tag: "ToolMissing" }> | CommandExited | DecodeError | InvalidName

/** Every ZfsError's schema, for the protocols of agents that pass them on as rejections. */
export const ZFS_ERRORS = [
  ZfsNotInstalled,
  CommandTimedOut,
  OutputTooLarge,
  CommandFailed,
  CommandExited,
  DecodeError,
  InvalidName
] as const

/** The allocation class a top-level vdev serves. */
export const VdevClass = Schema.Literals(["data", "log", "cache", "spare", "special", "dedup"])
export type VdevClass = typeof VdevClass.Type

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Bytes = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))

export interface Vdev {
  /** As zpool prints it: "mirror-0", "raidz2-1", "sda", "/dev/disk/by-id/ata-…", "/var/tmp/f1". */
  readonly name: string
  /** "root", "mirror", "raidz" (with parity), "draid", "disk", "file", "replacing", "spare", … as zpool reports vdev_type. */
  readonly type: string
  /** For raidz/draid: the parity (1, 2, 3). */
  readonly parity?: number | undefined
  /** ONLINE, DEGRADED, FAULTED, OFFLINE, UNAVAIL, REMOVED, … */
  readonly state: string
  /** Device path of a leaf vdev, when zpool gives one. */
  readonly path?: string | undefined
  readonly readErrors: number
  readonly writeErrors: number
  readonly checksumErrors: number
  /** Bytes; only where zpool reports them (top-level and leaf vdevs with -p/--json-int or parsed from "12.7T"). */
  readonly sizeBytes?: number | undefined
  readonly allocatedBytes?: number | undefined
  readonly children: ReadonlyArray<Vdev>
}

const vdevFields = {
  name: Schema.String,
  type: Schema.String,
  parity: Schema.optional(Count),
  state: Schema.String,
  path: Schema.optional(Schema.String),
  readErrors: Count,
  writeErrors: Count,
  checksumErrors: Count,
  sizeBytes: Schema.optional(Bytes),
  allocatedBytes: Schema.optional(Bytes),
  children: Schema.Array(Schema.suspend((): Schema.Codec<Vdev> => Vdev))
}
export const Vdev: Schema.Codec<Vdev> = Schema.Struct(vdevFields)
/** A top-level vdev, with the class it serves. */
export const TopVdev = Schema.Struct({ ...vdevFields, class: VdevClass })

export const ScanStatus = Schema.Struct({
  function: Schema.Literals(["scrub", "resilver", "none"]),
  /** "scanning" while it runs (see `paused`), "finished", "canceled"; "none" when the pool was never scanned. */
  state: Schema.Literals(["scanning", "finished", "canceled", "none"]),
  paused: Schema.Boolean,
  /** ISO 8601 or the tool's text, as given. */
  startTime: Schema.optional(Schema.String),
  endTime: Schema.optional(Schema.String),
  toExamineBytes: Schema.optional(Bytes),
  examinedBytes: Schema.optional(Bytes),
  issuedBytes: Schema.optional(Bytes),
  /** Bytes repaired (scrub) or resilvered. */
  processedBytes: Schema.optional(Bytes),
  errors: Count,
  /** 0–100, computed from issued (or examined) over to-examine while scanning; 100 when finished. */
  percent: Schema.optional(Schema.Finite)
})
export type ScanStatus = typeof ScanStatus.Type

export const PoolStatus = Schema.Struct({
  name: Schema.String,
  /** ONLINE, DEGRADED, FAULTED, OFFLINE, UNAVAIL, SUSPENDED. */
  state: Schema.String,
  /** zpool's own status / action text, when it has something to say. */
  status: Schema.optional(Schema.String),
  action: Schema.optional(Schema.String),
  /** zpool's message id for the status ("ZFS-8000-9P"), its `see:` line; absent when the status has none (a resilver, an offlined disk). */
  msgid: Schema.optional(Schema.String),
  /** "No known data errors" or the count of files with permanent errors. */
  dataErrors: Schema.String,
  /** Top-level vdevs, each with its class (data vdevs first, as zpool lists them). */
  vdevs: Schema.Array(TopVdev),
  scan: ScanStatus
})
export type PoolStatus = typeof PoolStatus.Type

export const PoolSummary = Schema.Struct({
  name: Schema.String,
  health: Schema.String,
  sizeBytes: Bytes,
  allocatedBytes: Bytes,
  freeBytes: Bytes,
  /** 0–100 as zpool reports `capacity`. */
  capacityPercent: Schema.Finite,
  fragmentationPercent: Schema.optional(Schema.Finite),
  dedupRatio: Schema.optional(Schema.Finite)
})
export type PoolSummary = typeof PoolSummary.Type

export const Dataset = Schema.Struct({
  name: Schema.String,
  pool: Schema.String,
  type: Schema.Literals(["filesystem", "volume", "snapshot", "bookmark"]),
  usedBytes: Bytes,
  availableBytes: Bytes,
  referencedBytes: Bytes,
  /** A path, or undefined for "none", "legacy", "-" and volumes. */
  mountpoint: Schema.optional(Schema.String),
  mounted: Schema.optional(Schema.Boolean)
})
export type Dataset = typeof Dataset.Type

export const PropertyValue = Schema.Struct({
  value: Schema.String,
  /** "local", "default", "inherited from tank", "-", … */
  source: Schema.String
})
export type PropertyValue = typeof PropertyValue.Type

/** A state-changing command: planned always, executed only when confirmed. */
export const Planned = Schema.Struct({
  /** The exact argument vector, tool first: ["zpool", "create", "tank", "mirror", "sda", "sdb"]. */
  command: Schema.Array(Schema.String),
  /** The same, quoted for a human to read or paste. */
  display: Schema.String,
  executed: Schema.Boolean,
  /** Present when executed. */
  output: Schema.optional(Schema.String)
})
export type Planned = typeof Planned.Type

/** A snapshot as `zfs list -t snapshot` reports it (HELIX). */
export const SnapshotRow = Schema.Struct({
  /** dataset@snapshot */
  name: Schema.String,
  dataset: Schema.String,
  snapshot: Schema.String,
  /** Seconds since the epoch. */
  creation: Schema.Int,
  usedBytes: Schema.optional(Bytes),
  referencedBytes: Schema.optional(Bytes),
  /** The number of holds on it. */
  userrefs: Schema.optional(Count)
})
export type SnapshotRow = typeof SnapshotRow.Type

/** A hold on a snapshot (`zfs holds`): its tag and when it was placed, as zfs prints it. */
export interface Hold {
  readonly tag: string
  readonly since?: string
}

export const LayoutVdevKind = Schema.Literals(["stripe", "mirror", "raidz1", "raidz2", "raidz3"])

export interface LayoutVdev {
  readonly kind: typeof LayoutVdevKind.Type
  readonly disks: ReadonlyArray<string>
}

export class Zfs extends Context.Service<Zfs, {
  readonly pools: Effect.Effect<ReadonlyArray<PoolSummary>, ZfsError>
  /** One pool, or all pools when none is named. */
  readonly status: (pool?: string) => Effect.Effect<ReadonlyArray<PoolStatus>, ZfsError>
  /** All datasets, or one and its descendants. */
  readonly datasets: (root?: string) => Effect.Effect<ReadonlyArray<Dataset>, ZfsError>
  readonly properties: (
    dataset: string,
    names: ReadonlyArray<string>
  ) => Effect.Effect<Readonly<Record<string, PropertyValue>>, ZfsError>
  /** `zpool scrub` / `zpool scrub -p` / `zpool scrub -s`: maintenance, not destructive, so not dry-run. */
  readonly scrub: (pool: string, action: "start" | "pause" | "stop") => Effect.Effect<void, ZfsError>
  readonly createPool: (
    pool: string,
    vdevs: ReadonlyArray<LayoutVdev>,
    options: { readonly confirm: boolean; readonly properties?: Readonly<Record<string, string>> }
  ) => Effect.Effect<Planned, ZfsError>
  readonly createDataset: (
    dataset: string,
    options: { readonly confirm: boolean; readonly properties?: Readonly<Record<string, string>> }
  ) => Effect.Effect<Planned, ZfsError>
  readonly setProperty: (
    dataset: string,
    property: string,
    value: string,
    options: { readonly confirm: boolean }
  ) => Effect.Effect<Planned, ZfsError>
  readonly destroy: (
    dataset: string,
    options: { readonly confirm: boolean; readonly recursive?: boolean }
  ) => Effect.Effect<Planned, ZfsError>
  /** Snapshots (HELIX): all, or of one dataset (`-d 1`), or of it and its descendants (`-r`). Before 2.3, from `-Hp` columns. */
  readonly snapshots: (root?: string, options?: { readonly recursive?: boolean }) => Effect.Effect<ReadonlyArray<SnapshotRow>, ZfsError>
  /** `zfs snapshot [-r] dataset@name`. */
  readonly snapshot: (snapshot: string, options: { readonly confirm: boolean; readonly recursive?: boolean }) => Effect.Effect<Planned, ZfsError>
  /** `zfs hold tag dataset@name` / `zfs release tag dataset@name`. */
  readonly hold: (tag: string, snapshot: string, options: { readonly confirm: boolean }) => Effect.Effect<Planned, ZfsError>
  readonly release: (tag: string, snapshot: string, options: { readonly confirm: boolean }) => Effect.Effect<Planned, ZfsError>
  /** `zfs holds -H dataset@name`. */
  readonly holds: (snapshot: string) => Effect.Effect<ReadonlyArray<Hold>, ZfsError>
}>()("sigmavault/adapters/zfs/Zfs") {}
