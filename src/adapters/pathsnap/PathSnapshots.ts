/**
 * Port: snapshots of a directory where ZFS is absent, the way rsnapshot and
 * `rsync --link-dest` backups make them. Each snapshot is a full tree under
 * a snapshot root (`ROOT/NAME`); a file unchanged since the previous
 * snapshot is a hard link to it (no space), a changed one a new copy.
 *
 * Layout of a snapshot root:
 * - `ROOT/NAME/`: the snapshots, and nothing else without a leading dot;
 * - `ROOT/.sigmavault/NAME.json`: when each was taken, and from where;
 * - `ROOT/.sigmavault/partial-…`, `deleting-…`: work in progress, never
 *   listed; a snapshot is copied under a partial name and renamed into place
 *   only once complete, so an interrupted one is never visible (and its
 *   leftovers are removed by the next snapshot of the root).
 *
 * Paths follow docs/security.md §File jobs: absolute, inside the file roots,
 * never in the forbidden places, judged on the path as written and again on
 * its real path. Snapshots are admin work and run with the daemon's rights
 * (rsync as root keeps every owner, mode, ACL and extended attribute).
 */
import { Context, type Effect, Schema } from "effect"
import { CommandExited, CommandFailed, CommandTimedOut, OutputTooLarge } from "../command/Command.ts"

/** A path refused: outside the roots, forbidden, missing, not a directory, or a root inside its source. */
export class PathRefused extends Schema.TaggedError<PathRefused>()("PathRefused", {
  field: Schema.String,
  path: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${this.field} '${this.path}' cannot be used: ${this.reason}`
  }
}

export class RsyncNotInstalled extends Schema.TaggedError<RsyncNotInstalled>()("RsyncNotInstalled", {}) {
  override get message() {
    return "rsync is not installed (not found on PATH): path snapshots need it (Debian package rsync)"
  }
}

export class PathSnapshotExists extends Schema.TaggedError<PathSnapshotExists>()("PathSnapshotExists", {
  root: Schema.String,
  name: Schema.String
}) {
  override get message() {
    return `snapshot '${this.name}' already exists in ${this.root}`
  }
}

export class NoSuchPathSnapshot extends Schema.TaggedError<NoSuchPathSnapshot>()("NoSuchPathSnapshot", {
  root: Schema.String,
  name: Schema.String
}) {
  override get message() {
    return `there is no snapshot '${this.name}' in ${this.root}`
  }
}

/** A filesystem operation on the snapshot root failed. */
export class PathSnapshotIoError extends Schema.TaggedError<PathSnapshotIoError>()("PathSnapshotIoError", {
  operation: Schema.String,
  path: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `cannot ${this.operation} ${this.path}: ${this.reason}`
  }
}

export type PathSnapshotError =
  | PathRefused
  | RsyncNotInstalled
  | PathSnapshotExists
  | NoSuchPathSnapshot
  | PathSnapshotIoError
  | CommandExited
  | CommandTimedOut
  | OutputTooLarge
  | CommandFailed

export const PATH_SNAPSHOT_ERRORS = [
  PathRefused,
  RsyncNotInstalled,
  PathSnapshotExists,
  NoSuchPathSnapshot,
  PathSnapshotIoError,
  CommandExited,
  CommandTimedOut,
  OutputTooLarge,
  CommandFailed
] as const

export const PathSnapshot = Schema.Struct({
  name: Schema.String,
  /** ROOT/NAME */
  path: Schema.String,
  /** The directory it is a snapshot of. */
  source: Schema.String,
  /** Seconds since the epoch. */
  creation: Schema.Int,
  createdAt: Schema.String
})
export type PathSnapshot = typeof PathSnapshot.Type

/** An rsync run: planned always (the exact argv), run only when confirmed. */
export const RsyncPlan = Schema.Struct({
  command: Schema.Array(Schema.String),
  display: Schema.String,
  executed: Schema.Boolean,
  /** What rsync said it did not copy (exit 24: files that vanished while it ran), when it ran. */
  warnings: Schema.Array(Schema.String)
})
export type RsyncPlan = typeof RsyncPlan.Type

export const PathSnapshotPlan = Schema.Struct({
  root: Schema.String,
  source: Schema.String,
  name: Schema.String,
  /** The snapshot unchanged files are hard links to (the newest before this one), if any. */
  linkDest: Schema.optional(Schema.String),
  rsync: RsyncPlan,
  /** Where the snapshot is, once taken. */
  path: Schema.String
})
export type PathSnapshotPlan = typeof PathSnapshotPlan.Type

export const PathSyncPlan = Schema.Struct({
  source: Schema.String,
  destination: Schema.String,
  rsync: RsyncPlan,
  /** Without confirm: what would change, from `rsync --dry-run --itemize-changes` (at most 1000 lines). */
  changes: Schema.Array(Schema.String)
})
export type PathSyncPlan = typeof PathSyncPlan.Type

export interface TakeOptions {
  readonly confirm: boolean
  /** Compare file contents (`--checksum`), not size and time, to decide what is unchanged. */
  readonly checksum?: boolean | undefined
  /** The time to record (injected: tests are deterministic). */
  readonly now: Date
}

export interface SyncOptions {
  readonly confirm: boolean
  readonly checksum?: boolean | undefined
  /** Remove from the destination what the source no longer has (`--delete`). */
  readonly delete?: boolean | undefined
}

export class PathSnapshots extends Context.Service<PathSnapshots, {
  /** The snapshots in a root, oldest first; none when the root does not exist yet. */
  readonly list: (root: string) => Effect.Effect<ReadonlyArray<PathSnapshot>, PathSnapshotError>
  /** Plans (or takes) ROOT/NAME, a snapshot of `source`, hard-linked to the newest snapshot before it. */
  readonly take: (source: string, root: string, name: string, options: TakeOptions) => Effect.Effect<PathSnapshotPlan, PathSnapshotError>
  /** Plans (or does) the removal of snapshots; each disappears at once (renamed away) and is then deleted. */
  readonly remove: (
    root: string,
    names: ReadonlyArray<string>,
    options: { readonly confirm: boolean }
  ) => Effect.Effect<{ readonly removed: ReadonlyArray<string>; readonly executed: boolean }, PathSnapshotError>
  /** Plans (or runs) `rsync -a … SOURCE/ DESTINATION/`: a path replicated to another path. */
  readonly sync: (source: string, destination: string, options: SyncOptions) => Effect.Effect<PathSyncPlan, PathSnapshotError>
}>()("sigmavault/adapters/pathsnap/PathSnapshots") {}

/** Snapshot names: what the retention engine writes (autosnap_2026-12-07_15:00:00_hourly) and plain names; never a dot first. */
export const SNAPSHOT_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,199}$/

/** The flags every run has: archive (-a: permissions, times, owners, groups, links, devices), hard links, ACLs, xattrs, numeric ids, one filesystem. */
export const RSYNC_FLAGS = ["-a", "-H", "-A", "-X", "--numeric-ids", "--one-file-system"] as const

/** A path snapshot's name at a message's boundary: never a dot or a dash first (it becomes a directory name under the root). */
export const PathSnapshotLabel = Schema.String.check(
  Schema.isPattern(SNAPSHOT_NAME, {
    expected: "a snapshot name of up to 200 letters, digits, '_', '.', ':' or '-', not starting with '.' or '-', e.g. before-upgrade"
  })
)
