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
import { randomBytes } from "node:crypto"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Effect } from "effect"
import { errnoOf, isMissing, reasonOf, writeFully } from "../support/files.ts"
import { RepoCorrupt, RestoreTargetExists, type SnapshotNotFound, StoreIoError, UnsafePath } from "./Errors.ts"
import { type ChunkIndex, loadIndex } from "./Index.ts"
import { fromHex, io } from "./internal/fs.ts"
import { packsDirOf, type Repo } from "./internal/repo.ts"
import { makePackReader, openChunk, packFileName, type PackReader } from "./Packs.ts"
import { readSnapshot, resolveSnapshotId, SNAPSHOTS_DIR, type TreeEntry } from "./Snapshots.ts"

export interface RestoreOptions {
  /** Replace files and symlinks that exist where the snapshot puts its own. */
  readonly overwrite?: boolean
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

export type RestoreError = SnapshotNotFound | RepoCorrupt | RestoreTargetExists | UnsafePath | StoreIoError

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

const lstatOrNone = (file: string) =>
  Effect.tryPromise({ try: () => fs.lstat(file), catch: (error) => error }).pipe(
    Effect.catch((error) =>
      isMissing(error) || errnoOf(error) === "ENOTDIR"
        ? Effect.succeed(undefined)
        : Effect.fail(new StoreIoError({ operation: "inspect restore target", file, reason: reasonOf(error) }))
    )
  )

/** Refuses to write anything if an entry would replace something (without `overwrite`) or pass through a symlink. */
const checkTarget = (
  target: string,
  entries: ReadonlyArray<TreeEntry>,
  overwrite: boolean
): Effect.Effect<void, RestoreTargetExists | UnsafePath | StoreIoError> =>
  Effect.gen(function*() {
    for (const entry of entries) {
      const destination = path.join(target, ...entry.path.split("/"))
      const existing = yield* lstatOrNone(destination)
      if (existing === undefined) continue
      if (entry.type === "dir") {
        if (existing.isDirectory()) continue
        if (existing.isSymbolicLink()) {
          return yield* Effect.fail(new UnsafePath({ path: entry.path, reason: `a symlink in the target (${destination}) stands where a directory goes` }))
        }
        if (!overwrite) return yield* Effect.fail(new RestoreTargetExists({ path: destination }))
      } else {
        if (existing.isDirectory()) return yield* Effect.fail(new RestoreTargetExists({ path: destination }))
        if (!overwrite) return yield* Effect.fail(new RestoreTargetExists({ path: destination }))
      }
    }
  })

/** Files restored at once. */
const RESTORE_CONCURRENCY = 4

const secondsOf = (mtimeNs: string): number => Number(BigInt(mtimeNs)) / 1e9

const writeFile = (
  repo: Repo,
  index: ChunkIndex,
  reader: PackReader,
  snapshotFile: string,
  entry: Extract<TreeEntry, { type: "file" }>,
  destination: string
): Effect.Effect<number, RepoCorrupt | StoreIoError> => {
  const temporary = `${destination}.tmp-${process.pid}-${randomBytes(6).toString("hex")}`
  return Effect.gen(function*() {
    const written = yield* Effect.acquireUseRelease(
      io("create restored file", temporary, () => fs.open(temporary, "wx", 0o600)),
      (handle) =>
        Effect.gen(function*() {
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
            yield* io("write restored file", temporary, () => writeFully(handle, plain))
            bytes += plain.byteLength
          }
          if (bytes !== entry.size) {
            return yield* Effect.fail(
              new RepoCorrupt({ file: snapshotFile, reason: `${entry.path} is recorded as ${entry.size} bytes but its chunks hold ${bytes}` })
            )
          }
          yield* io("set mode of", temporary, () => handle.chmod(entry.mode))
          // After the last write, so nothing moves the time on.
          yield* io("set times of", temporary, () => handle.utimes(secondsOf(entry.mtime), secondsOf(entry.mtime)))
          return bytes
        }),
      (handle) => Effect.ignore(io("close restored file", temporary, () => handle.close()))
    )
    yield* io("rename restored file into place", destination, () => fs.rename(temporary, destination))
    return written
  }).pipe(Effect.onError(() => Effect.ignore(io("remove temporary file", temporary, () => fs.rm(temporary, { force: true })))))
}

export const restore = (
  repo: Repo,
  snapshotId: string,
  targetDir: string,
  options: RestoreOptions = {}
): Effect.Effect<RestoreResult, RestoreError> =>
  Effect.gen(function*() {
    const id = yield* resolveSnapshotId(repo.dir, snapshotId)
    const snapshot = yield* readSnapshot(repo.dir, id, repo.cipher)
    const snapshotFile = path.join(repo.dir, SNAPSHOTS_DIR, id)
    const target = path.resolve(targetDir)
    yield* checkTree(snapshot.entries)
    yield* checkTarget(target, snapshot.entries, options.overwrite ?? false)
    const { index } = yield* loadIndex(repo.dir, repo.cipher)
    yield* io("create restore target", target, () => fs.mkdir(target, { recursive: true }))

    const counts = { files: 0, dirs: 0, symlinks: 0, bytes: 0 }
    const destinationOf = (entry: TreeEntry) => path.join(target, ...entry.path.split("/"))
    const reader = yield* makePackReader(packsDirOf(repo))
    for (const entry of snapshot.entries) {
      if (entry.type !== "dir") continue
      const destination = destinationOf(entry)
      const existing = yield* lstatOrNone(destination)
      // checkTarget let a non-directory stand here only with overwrite.
      if (existing !== undefined && !existing.isDirectory()) yield* io("replace", destination, () => fs.rm(destination, { force: true }))
      // Owner-writable until its contents are in; its own mode comes last.
      yield* io("create directory", destination, () => fs.mkdir(destination, { recursive: true, mode: 0o700 }))
      yield* io("open up directory", destination, () => fs.chmod(destination, 0o700))
      counts.dirs++
    }
    // Files are independent: a few at a time keep the thread pool busy with creates, reads and writes.
    yield* Effect.forEach(
      snapshot.entries.filter((entry) => entry.type === "file"),
      (entry) =>
        Effect.gen(function*() {
          counts.bytes += yield* writeFile(repo, index, reader, snapshotFile, entry, destinationOf(entry))
          counts.files++
          options.onProgress?.({ files: counts.files, bytes: counts.bytes, path: entry.path })
        }),
      { concurrency: RESTORE_CONCURRENCY, discard: true }
    )
    for (const entry of snapshot.entries) {
      if (entry.type !== "symlink") continue
      const destination = destinationOf(entry)
      yield* io("replace", destination, () => fs.rm(destination, { force: true }))
      yield* io("create symlink", destination, () => fs.symlink(entry.target, destination))
      yield* io("set times of", destination, () => fs.lutimes(destination, secondsOf(entry.mtime), secondsOf(entry.mtime)))
      counts.symlinks++
    }
    // Deepest first, so setting a directory's time is not undone by touching its children.
    for (const entry of [...snapshot.entries].reverse()) {
      if (entry.type !== "dir") continue
      const destination = destinationOf(entry)
      yield* io("set mode of", destination, () => fs.chmod(destination, entry.mode))
      yield* io("set times of", destination, () => fs.utimes(destination, secondsOf(entry.mtime), secondsOf(entry.mtime)))
    }
    return { snapshot: id, ...counts }
  }).pipe(Effect.scoped)
