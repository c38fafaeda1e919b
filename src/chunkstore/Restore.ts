/**
 * `restore`: writes a snapshot's tree under a target directory, files
 * byte-identical (every chunk's keyed hash is checked on the way), with
 * their modes and modification times.
 *
 * Everything is checked before anything is written: every path in the
 * snapshot must be relative, free of "..", "." and empty components, and
 * lie under a directory of the snapshot (so a symlink in the snapshot can
 * never lead a later entry outside the target); nothing may exist where an
 * entry goes unless `overwrite` is given (directories merge); and no
 * existing symlink in the target may stand where a directory goes.
 * Symlinks are created last, directory modes and times set after their
 * contents.
 */
import * as path from "node:path"
import { Effect } from "effect"
import { Files, type FilesShape } from "../adapters/fs/Files.ts"
import { RepoCorrupt, RestoreTargetExists, type SnapshotNotFound, FileError, UnsafePath } from "./Errors.ts"
import { type ChunkIndex, loadIndex } from "./Index.ts"
import { fromHex } from "./internal/fs.ts"
import { packsDirOf, type Repo } from "./internal/repo.ts"
import { makePackReader, openChunk, packFileName, type PackReader } from "./Packs.ts"
import { readSnapshot, resolveSnapshotId, SNAPSHOTS_DIR, type TreeEntry } from "./Snapshots.ts"

export interface RestoreOptions {
  /** Replace files and symlinks that exist where the snapshot puts its own. */
  readonly overwrite?: boolean
  /**
   * Fsync every restored file and its directory before it appears, and the
   * parent of every directory it creates. Off by default: restore writes
   * each file under a temporary name and renames it (never a half file),
   * but leaves writeback to the kernel, as cp, tar,
   * `restic restore` and `borg extract` do; run `sync` afterwards, or pass
   * this, when the restored copy must survive a power cut at once.
   */
  readonly durable?: boolean
  /** Called after each file with the files and bytes restored so far. */
  readonly onProgress?: (progress: { readonly files: number; readonly bytes: number; readonly path: string }) => void
}

export interface RestoreResult {
  readonly snapshot: string
  readonly files: number
  readonly dirs: number
  readonly symlinks: number
  readonly bytes: number
}

export type RestoreError = SnapshotNotFound | RepoCorrupt | RestoreTargetExists | UnsafePath | FileError

/** Why `entryPath` may not be restored, or undefined when it is a plain relative path. */
export const unsafeReason = (entryPath: string): string | undefined => {
  if (entryPath.length === 0) return "the path is empty"
  if (entryPath.includes("\0")) return "the path holds a NUL byte"
  if (entryPath.startsWith("/") || path.isAbsolute(entryPath)) return "the path is absolute"
  const parts = entryPath.split("/")
  if (parts.includes("..")) return "the path climbs out with '..'"
  if (parts.some((part) => part === "" || part === ".")) return "the path has an empty or '.' component"
  return undefined
}

/** Checks the whole tree before anything is written. */
const checkTree = (entries: ReadonlyArray<TreeEntry>): Effect.Effect<void, UnsafePath> =>
  Effect.gen(function*() {
    const kinds = new Map<string, TreeEntry["type"]>()
    for (const entry of entries) {
      const reason = unsafeReason(entry.path)
      if (reason !== undefined) return yield* Effect.fail(new UnsafePath({ path: entry.path, reason }))
      if (kinds.has(entry.path)) return yield* Effect.fail(new UnsafePath({ path: entry.path, reason: "the snapshot lists it twice" }))
      kinds.set(entry.path, entry.type)
    }
    for (const entry of entries) {
      const parent = path.posix.dirname(entry.path)
      if (parent !== "." && kinds.get(parent) !== "dir") {
        return yield* Effect.fail(
          new UnsafePath({
            path: entry.path,
            reason: kinds.has(parent)
              ? `its parent ${JSON.stringify(parent)} is a ${kinds.get(parent)} in the snapshot, not a directory`
              : `its parent ${JSON.stringify(parent)} is not a directory of the snapshot`
          })
        )
      }
    }
  })

/** What is at `file` now, or undefined when nothing is (or a file stands where a directory of its path goes). */
const lstatOrNone = (files: FilesShape, file: string) =>
  Effect.catchIf(files.stat(file), (error) => error.reason === "NotFound" || error.reason === "NotDirectory", () => Effect.undefined)

/** Refuses to write anything if an entry would replace something (without `overwrite`) or pass through a symlink. */
const checkTarget = (
  target: string,
  entries: ReadonlyArray<TreeEntry>,
  overwrite: boolean
): Effect.Effect<void, RestoreTargetExists | UnsafePath | FileError, Files> =>
  Effect.gen(function*() {
    const files = yield* Files
    // Nothing can stand in the way inside a target that does not exist yet (the writes refuse a file that appears meanwhile).
    if ((yield* lstatOrNone(files, target)) === undefined) return
    for (const entry of entries) {
      const destination = path.join(target, ...entry.path.split("/"))
      const existing = yield* lstatOrNone(files, destination)
      if (existing === undefined) continue
      if (entry.type === "dir") {
        if (existing.type === "directory") continue
        if (existing.type === "symlink") {
          return yield* Effect.fail(new UnsafePath({ path: entry.path, reason: `a symlink in the target (${destination}) stands where a directory goes` }))
        }
        if (!overwrite) return yield* Effect.fail(new RestoreTargetExists({ path: destination }))
      } else {
        if (existing.type === "directory") return yield* Effect.fail(new RestoreTargetExists({ path: destination }))
        if (!overwrite) return yield* Effect.fail(new RestoreTargetExists({ path: destination }))
      }
    }
  })

/** Files restored at once. */
const RESTORE_CONCURRENCY = 4


const writeFile = (
  repo: Repo,
  index: ChunkIndex,
  reader: PackReader,
  snapshotFile: string,
  entry: Extract<TreeEntry, { type: "file" }>,
  destination: string,
  overwrite: boolean,
  durable: boolean
): Effect.Effect<number, RepoCorrupt | RestoreTargetExists | FileError, Files> =>
  Effect.scoped(Effect.gen(function*() {
    const output = yield* (yield* Files).openAtomic(destination, { replace: overwrite, mode: 0o600 })
    let bytes = 0
    for (const hex of entry.chunks) {
      const id = fromHex(hex)
      const location = index.locate(id)
      if (location === undefined) {
        return yield* Effect.fail(
          new RepoCorrupt({ file: snapshotFile, reason: `chunk ${hex.slice(0, 16)}… of ${entry.path} is in no pack` })
        )
      }
      const record = yield* reader.read(location.pack, location.offset, location.length)
      const plain = yield* openChunk(record, id, { cipher: repo.cipher, chunkIdKey: repo.config.chunkIdKey }).pipe(
        Effect.mapError((damage) =>
          new RepoCorrupt({
            file: path.join(packsDirOf(repo), packFileName(location.pack)),
            reason: `chunk ${hex.slice(0, 16)}… (of ${entry.path}, at byte ${location.offset}): ${damage.reason}`
          })
        )
      )
      yield* output.write(plain)
      bytes += plain.byteLength
    }
    if (bytes !== entry.size) {
      return yield* Effect.fail(
        new RepoCorrupt({ file: snapshotFile, reason: `${entry.path} is recorded as ${entry.size} bytes but its chunks hold ${bytes}` })
      )
    }
    // Mode and time set on the file before it appears, so nothing moves the time on.
    yield* output.commit({ mode: entry.mode, modifiedNs: BigInt(entry.mtime), durable })
    return bytes
  })).pipe(
    Effect.catchIf(
      (error): error is FileError => error._tag === "FileError" && error.reason === "Exists" && error.path === destination,
      () => Effect.fail(new RestoreTargetExists({ path: destination }))
    )
  )

export const restore = (
  repo: Repo,
  snapshotId: string,
  targetDir: string,
  options: RestoreOptions = {}
): Effect.Effect<RestoreResult, RestoreError, Files> =>
  Effect.gen(function*() {
    const files = yield* Files
    const id = yield* resolveSnapshotId(repo.dir, snapshotId)
    const snapshot = yield* readSnapshot(repo.dir, id, repo.cipher)
    const snapshotFile = path.join(repo.dir, SNAPSHOTS_DIR, id)
    const target = path.resolve(targetDir)
    yield* checkTree(snapshot.entries)
    yield* checkTarget(target, snapshot.entries, options.overwrite ?? false)
    const { index } = yield* loadIndex(repo.dir, repo.cipher)
    const durable = options.durable ?? false
    // Directories as files: their entries are fsynced only for a durable restore (46 fsyncs, ~0.3 s, for the bench's tree).
    yield* files.makeDirectory(target, { recursive: true, durable })

    const counts = { files: 0, dirs: 0, symlinks: 0, bytes: 0 }
    const destinationOf = (entry: TreeEntry) => path.join(target, ...entry.path.split("/"))
    const reader = yield* makePackReader(packsDirOf(repo))
    for (const entry of snapshot.entries) {
      if (entry.type !== "dir") continue
      const destination = destinationOf(entry)
      const existing = yield* lstatOrNone(files, destination)
      // checkTarget let a non-directory stand here only with overwrite.
      if (existing !== undefined && existing.type !== "directory") yield* files.remove(destination)
      // Owner-writable until its contents are in; its own mode comes last.
      yield* files.makeDirectory(destination, { recursive: true, mode: 0o700, durable })
      yield* files.setAttributes(destination, { mode: 0o700 })
      counts.dirs++
    }
    // Files are independent: a few at a time keep the thread pool busy with creates, reads and writes.
    yield* Effect.forEach(
      snapshot.entries.filter((entry) => entry.type === "file"),
      (entry) =>
        Effect.gen(function*() {
          // Read after the write: `counts.bytes += yield* …` would add to the value from before the await.
          const written = yield* writeFile(repo, index, reader, snapshotFile, entry, destinationOf(entry), options.overwrite ?? false, durable)
          counts.bytes += written
          counts.files++
          options.onProgress?.({ files: counts.files, bytes: counts.bytes, path: entry.path })
        }),
      { concurrency: RESTORE_CONCURRENCY, discard: true }
    )
    for (const entry of snapshot.entries) {
      if (entry.type !== "symlink") continue
      const destination = destinationOf(entry)
      yield* files.remove(destination)
      yield* files.symlink(entry.target, destination)
      yield* files.setAttributes(destination, { modifiedNs: BigInt(entry.mtime), followSymlinks: false })
      counts.symlinks++
    }
    // Deepest first, so setting a directory's time is not undone by touching its children.
    for (const entry of [...snapshot.entries].reverse()) {
      if (entry.type !== "dir") continue
      const destination = destinationOf(entry)
      yield* files.setAttributes(destination, { mode: entry.mode, modifiedNs: BigInt(entry.mtime) })
    }
    return { snapshot: id, ...counts }
  }).pipe(Effect.scoped)
