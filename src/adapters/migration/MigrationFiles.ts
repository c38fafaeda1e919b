/**
 * Port: the trees a migration (MORPH) copies and moves, used with the
 * caller's rights inside the file roots, and where its journals live.
 *
 * The confinement rules are CallerFiles.ts's: a path must be absolute and
 * inside the file roots, never under the places no file job uses, judged
 * on the path as written and on where its directory really leads. Every
 * operation runs as the caller (root's in the daemon itself; anyone else's
 * in a helper that took on the caller's uid, groups and umask), so the
 * kernel decides what the caller may read, create, chown and remove.
 */
import { Context, type Effect, type Scope } from "effect"
import type { Caller } from "../../runtime/Caller.ts"
import type { FileError } from "../fs/Files.ts"

/** An extended attribute: its name and its value in hex. */
export type Xattr = readonly [name: string, hex: string]

/** lstat of an entry, in JSON-friendly units (times in nanoseconds, as decimal strings). */
export interface EntryInfo {
  readonly type: "file" | "directory" | "symlink" | "other"
  readonly size: number
  readonly mode: number
  readonly uid: number
  readonly gid: number
  readonly mtimeNs: string
  readonly atimeNs: string
  readonly ctimeNs: string
  readonly device: string
  readonly inode: string
  readonly links: number
}

export interface Metadata {
  readonly mode: number
  readonly uid: number
  readonly gid: number
  readonly mtimeNs: string
  readonly atimeNs: string
}

export interface Copied {
  readonly sha256: string
  readonly bytes: number
  readonly before: EntryInfo
  readonly after: EntryInfo
  readonly ownerKept: boolean
}

/** One caller's view of the trees, for one job (the scope). */
export interface TreeAccess {
  /** Refuses a path outside the file roots (as written, then where its directory leads). */
  readonly confine: (path: string) => Effect.Effect<void, FileError>
  readonly lstat: (path: string) => Effect.Effect<EntryInfo | undefined, FileError>
  readonly list: (dir: string) => Effect.Effect<ReadonlyArray<string>, FileError>
  /** The carried extended attributes of each path (user.* and ACLs; also trusted.* and security.* for root). */
  readonly readXattrs: (paths: ReadonlyArray<string>) => Effect.Effect<Readonly<Record<string, ReadonlyArray<Xattr>>>, FileError>
  /** Copies a regular file to a new temporary file, hashing it, with its metadata, fsync'd. */
  readonly copy: (
    request: { readonly from: string; readonly temporary: string; readonly meta: Metadata; readonly xattrs: ReadonlyArray<Xattr> },
    onBytes?: (total: number) => void
  ) => Effect.Effect<Copied, FileError>
  readonly hash: (path: string) => Effect.Effect<{ readonly sha256: string; readonly info: EntryInfo }, FileError>
  /** Links `temporary` to `target` (never replacing: reason Exists), removes `temporary`; syncs the directory unless `sync` is false (then the caller does). */
  readonly publish: (temporary: string, target: string, sync?: boolean) => Effect.Effect<void, FileError>
  readonly makeDirectory: (dir: string) => Effect.Effect<void, FileError>
  readonly symlink: (target: string, path: string) => Effect.Effect<void, FileError>
  readonly readLink: (path: string) => Effect.Effect<string, FileError>
  /** Metadata of a directory or symbolic link; whether its owner was kept. */
  readonly setMetadata: (path: string, meta: Metadata, xattrs: ReadonlyArray<Xattr>, isLink: boolean) => Effect.Effect<boolean, FileError>
  /** A file, link or empty directory; a missing one is fine. */
  readonly remove: (path: string) => Effect.Effect<void, FileError>
  readonly syncDirectory: (dir: string) => Effect.Effect<void, FileError>
  /** Bytes that may still be written on the filesystem of `dir`. */
  readonly freeBytes: (dir: string) => Effect.Effect<number, FileError>
}

export interface MigrationFilesShape {
  /** The directory MORPH keeps its plans and journals in (the daemon's state directory). */
  readonly journalDir: string
  readonly forCaller: (caller: Caller) => Effect.Effect<TreeAccess, never, Scope.Scope>
}

export class MigrationFiles extends Context.Service<MigrationFiles, MigrationFilesShape>()("sigmavault/adapters/migration/MigrationFiles") {}
