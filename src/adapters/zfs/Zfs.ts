/**
 * Port: ZFS pools and datasets as OpenZFS ≥ 2.3 reports them in JSON
 * (`zpool list -j`, `zpool status -j`, `zfs list -j`, `zfs get -j`), and the
 * commands that change them. Commands that change state are planned (the
 * exact argument vector is returned) and only run with `confirm: true`.
 */
import { Context, type Effect, Schema } from "effect"
import type { CommandExited, RunError } from "../command/Command.ts"
import type { DecodeError } from "../command/DecodeError.ts"
import type { InvalidName } from "../command/names.ts"

/** zpool is not on PATH: the machine has no ZFS (a normal state, not a crash). */
export class ZfsNotInstalled extends Schema.TaggedError<ZfsNotInstalled>()("ZfsNotInstalled", {}) {
  override get message() {
    return "ZFS is not installed (zpool and zfs are not on PATH)"
  }
}

export type ZfsError = ZfsNotInstalled | Exclude<RunError, { readonly _tag: "ToolMissing" }> | CommandExited | DecodeError | InvalidName

/** The allocation class a top-level vdev serves. */
export type VdevClass = "data" | "log" | "cache" | "spare" | "special" | "dedup"

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

export interface ScanStatus {
  readonly function: "scrub" | "resilver" | "none"
  /** "scanning" while it runs (see `paused`), "finished", "canceled"; "none" when the pool was never scanned. */
  readonly state: "scanning" | "finished" | "canceled" | "none"
  readonly paused: boolean
  /** ISO 8601 or the tool's text, as given. */
  readonly startTime?: string | undefined
  readonly endTime?: string | undefined
  readonly toExamineBytes?: number | undefined
  readonly examinedBytes?: number | undefined
  readonly issuedBytes?: number | undefined
  /** Bytes repaired (scrub) or resilvered. */
  readonly processedBytes?: number | undefined
  readonly errors: number
  /** 0–100, computed from issued (or examined) over to-examine while scanning; 100 when finished. */
  readonly percent?: number | undefined
}

export interface PoolStatus {
  readonly name: string
  /** ONLINE, DEGRADED, FAULTED, OFFLINE, UNAVAIL, SUSPENDED. */
  readonly state: string
  /** zpool's own status / action text, when it has something to say. */
  readonly status?: string | undefined
  readonly action?: string | undefined
  /** "No known data errors" or the count of files with permanent errors. */
  readonly dataErrors: string
  /** Top-level vdevs, each with its class (data vdevs first, as zpool lists them). */
  readonly vdevs: ReadonlyArray<Vdev & { readonly class: VdevClass }>
  readonly scan: ScanStatus
}

export interface PoolSummary {
  readonly name: string
  readonly health: string
  readonly sizeBytes: number
  readonly allocatedBytes: number
  readonly freeBytes: number
  /** 0–100 as zpool reports `capacity`. */
  readonly capacityPercent: number
  readonly fragmentationPercent?: number | undefined
  readonly dedupRatio?: number | undefined
}

export interface Dataset {
  readonly name: string
  readonly pool: string
  readonly type: "filesystem" | "volume" | "snapshot" | "bookmark"
  readonly usedBytes: number
  readonly availableBytes: number
  readonly referencedBytes: number
  /** A path, or undefined for "none", "legacy", "-" and volumes. */
  readonly mountpoint?: string | undefined
  readonly mounted?: boolean | undefined
}

export interface PropertyValue {
  readonly value: string
  /** "local", "default", "inherited from tank", "-", … */
  readonly source: string
}

/** A state-changing command: planned always, executed only when confirmed. */
export interface Planned {
  /** The exact argument vector, tool first: ["zpool", "create", "tank", "mirror", "sda", "sdb"]. */
  readonly command: ReadonlyArray<string>
  /** The same, quoted for a human to read or paste. */
  readonly display: string
  readonly executed: boolean
  /** Present when executed. */
  readonly output?: string | undefined
}

export interface LayoutVdev {
  readonly kind: "stripe" | "mirror" | "raidz1" | "raidz2" | "raidz3"
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
}>()("sigmavault/adapters/zfs/Zfs") {}
