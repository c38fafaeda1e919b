/**
 * The expected failures of the chunk store (docs/store-format.md §9). Each
 * message names what was wrong and where, so the CLI can print it as is.
 */
import { Schema } from "effect"
import type { FileError } from "../adapters/fs/Files.ts"

/** The filesystem refused: permissions, a full disk, a missing directory (the Files port's one error type). */
export { FileError } from "../adapters/fs/Files.ts"

/** No store at the directory: it or its config file is missing. */
export class RepoNotFound extends Schema.TaggedError<RepoNotFound>()("RepoNotFound", {
  dir: Schema.String
}) {
  override get message() {
    return `no SigmaVault store at ${this.dir}: it has no config file (create one with 'sigmavault store init')`
  }
}

/** `init` on a directory that already holds a store or anything else. */
export class RepoAlreadyExists extends Schema.TaggedError<RepoAlreadyExists>()("RepoAlreadyExists", {
  dir: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `cannot create a store at ${this.dir}: ${this.reason}`
  }
}

/** No snapshot has this id, or a prefix matches more than one. */
export class SnapshotNotFound extends Schema.TaggedError<SnapshotNotFound>()("SnapshotNotFound", {
  snapshot: Schema.String,
  /** How many snapshot ids start with `snapshot` (more than one: ambiguous). */
  matches: Schema.Number
}) {
  override get message() {
    return this.matches > 1
      ? `snapshot id ${JSON.stringify(this.snapshot)} is ambiguous: ${this.matches} snapshots start with it`
      : `no snapshot ${JSON.stringify(this.snapshot)} in this store`
  }
}

/** A store file this code cannot trust: damaged, truncated, or from a newer release. */
export class RepoCorrupt extends Schema.TaggedError<RepoCorrupt>()("RepoCorrupt", {
  file: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `store file ${this.file} is corrupt: ${this.reason}`
  }
}

/** `restore` would replace something already at the target, and `overwrite` was not given. */
export class RestoreTargetExists extends Schema.TaggedError<RestoreTargetExists>()("RestoreTargetExists", {
  path: Schema.String
}) {
  override get message() {
    return `refusing to restore over ${this.path}: it already exists (restore into an empty directory, or pass overwrite)`
  }
}

/** A path in a snapshot (or under a restore target) that would land outside the target. */
export class UnsafePath extends Schema.TaggedError<UnsafePath>()("UnsafePath", {
  path: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `refusing unsafe path ${JSON.stringify(this.path)}: ${this.reason}`
  }
}

/** Another add, forget, gc or index rebuild holds the store's lock. */
export class RepoLocked extends Schema.TaggedError<RepoLocked>()("RepoLocked", {
  dir: Schema.String,
  /** Who holds it, as the lock file says: "pid 123 on host nas1 since 2025-…". */
  holder: Schema.String
}) {
  override get message() {
    return `store ${this.dir} is busy: locked by ${this.holder}; try again when that operation ends`
  }
}

/** An option out of range (chunk sizes, pack size), or a cipher that does not match the store. */
export class InvalidStoreOption extends Schema.TaggedError<InvalidStoreOption>()("InvalidStoreOption", {
  option: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `invalid store option ${this.option}: ${this.reason}`
  }
}

/** An encrypted store opened without any secret key. */
export class StoreKeyRequired extends Schema.TaggedError<StoreKeyRequired>()("StoreKeyRequired", {
  dir: Schema.String,
  /** The key ids the store's master key is wrapped to. */
  keyIds: Schema.Array(Schema.String)
}) {
  override get message() {
    return `store ${this.dir} is encrypted (to key ${this.keyIds.join(", ")}): opening it needs one of those secret keys`
  }
}

/** None of the secret keys given opens the store: they are not among its recipients. */
export class WrongStoreKey extends Schema.TaggedError<WrongStoreKey>()("WrongStoreKey", {
  dir: Schema.String,
  keyIds: Schema.Array(Schema.String),
  /** The ids of the keys that were tried. */
  tried: Schema.Array(Schema.String)
}) {
  override get message() {
    return `wrong key for store ${this.dir}: it is encrypted to key ${this.keyIds.join(", ")}, and the key${
      this.tried.length === 1 ? "" : "s"
    } given (${this.tried.join(", ")}) cannot open it`
  }
}

export type StoreError =
  | RepoNotFound
  | RepoAlreadyExists
  | SnapshotNotFound
  | RepoCorrupt
  | RestoreTargetExists
  | UnsafePath
  | FileError
  | RepoLocked
  | InvalidStoreOption
  | StoreKeyRequired
  | WrongStoreKey
