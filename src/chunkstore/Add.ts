/**
 * `add`: walks the given paths, cuts every file into chunks, stores the
 * chunks the store does not have yet in new packs, and records a snapshot.
 *
 * Order of durable steps (docs/store-format.md §7.1): packs (each written to a
 * temporary name, fsynced, renamed), then the index, then the snapshot. A
 * crash before the snapshot leaves packs whose chunks nothing references:
 * the store is consistent, the snapshot does not exist, and gc reclaims
 * those chunks.
 *
 * Memory stays constant in the size of the files: one chunker buffer
 * (max chunk + 1 MiB), up to `compressConcurrency` chunks being compressed,
 * and the open pack's entry list.
 *
 * Compression overlaps the rest: a new compressible chunk is handed to the
 * codec (on Bun, native zstd on the thread pool) and reading, chunking and
 * hashing go on; compressed chunks are appended in the order they were
 * found (a stored one goes in at once), and the add waits for the oldest
 * only when `compressConcurrency` are under way. The tree (paths and chunk ids) is held until the
 * snapshot is written.
 */
import * as path from "node:path"
import { Effect, Exit, Fiber, Result, Schema, Scope } from "effect"
import { type FileInfo, Files } from "../adapters/fs/Files.ts"
import { chunkStream, makeChunkBuffer } from "./Chunker.ts"
import { chunkIdOf } from "./ChunkId.ts"
import { type CodecChoice, STORE } from "./Codec.ts"
import { InvalidStoreOption, type RepoLocked, type FileError } from "./Errors.ts"
import { type ChunkIndex, loadIndex, writeIndex } from "./Index.ts"
import { compressChunk } from "./internal/compressChunk.ts"
import { removeStaleTemps, toHex } from "./internal/fs.ts"
import { withLock } from "./internal/Lock.ts"
import { type Checkpoint, packsDirOf, type Repo, snapshotsDirOf } from "./internal/repo.ts"
import { type ChunkHeader, openPackWriterScope, type PackWriter } from "./Packs.ts"
import {
  decodeSnapshotBody,
  type FileEntry,
  listSnapshotIds,
  readSnapshotBody,
  type Snapshot,
  type TreeEntry,
  writeSnapshot
} from "./Snapshots.ts"

/** Reported once when the scan has found every file ("scan"), then after every chunk ("store"). */
export interface AddProgress {
  readonly phase: "scan" | "store"
  readonly files: number
  readonly totalFiles: number
  /** File bytes read so far, of `totalBytes` (the sizes the scan saw). */
  readonly bytes: number
  readonly totalBytes: number
  readonly newChunks: number
  readonly dedupChunks: number
  /** Bytes of packs written so far. */
  readonly storedBytes: number
  /** The file being read. */
  readonly path: string
}

export interface AddOptions {
  readonly onProgress?: (progress: AddProgress) => void
  /** For crash tests; see `Checkpoint`. Steps: "pack-written", "index-written". */
  readonly checkpoint?: Checkpoint
}

export interface AddWarning {
  readonly path: string
  readonly reason: string
}

export interface AddResult {
  /** The new snapshot's id. */
  readonly snapshot: string
  readonly files: number
  readonly dirs: number
  readonly symlinks: number
  /** The sum of the file sizes. */
  readonly bytes: number
  readonly newChunks: number
  /** Chunks already in the store (or earlier in this add). */
  readonly dedupChunks: number
  /** Bytes of the new chunks before compression. */
  readonly newBytes: number
  /** Bytes of the packs this add wrote. */
  readonly storedBytes: number
  readonly packs: number
  /** New chunks the Bloom filter could not rule out, so the index table was asked. */
  readonly bloomFalsePositives: number
  /** What was skipped: unreadable files and directories, sockets, devices. */
  readonly warnings: ReadonlyArray<AddWarning>
}

export type AddError = InvalidStoreOption | RepoLocked | FileError

/** A source file or directory could not be read: the add goes on without it. */
class SourceUnreadable extends Schema.TaggedError<SourceUnreadable>()("SourceUnreadable", {
  path: Schema.String,
  reason: Schema.String
}) {}

interface Compressed {
  readonly codec: CodecChoice["codec"]
  readonly level: number
  readonly stored: Uint8Array
}

interface Planned {
  readonly source: string
  /** Relative to the root's parent, "/"-separated. */
  readonly path: string
  readonly type: "file" | "dir" | "symlink"
  readonly mode: number
  readonly mtime: string
  readonly size: number
}

const KIND_OF: Readonly<Record<FileInfo["type"], Planned["type"] | string>> = {
  file: "file",
  directory: "dir",
  symlink: "symlink",
  fifo: "a FIFO",
  socket: "a socket",
  device: "a device"
}

const planOf = (source: string, relative: string, info: FileInfo): Planned | AddWarning => {
  const kind = KIND_OF[info.type]
  if (kind !== "file" && kind !== "dir" && kind !== "symlink") return { path: relative, reason: `skipped: ${kind} is not stored` }
  return {
    source,
    path: relative,
    type: kind,
    mode: info.mode,
    mtime: info.modifiedNs.toString(),
    size: kind === "file" ? info.size : 0
  }
}

/** Checks the roots: absolute, distinct names, not "/". */
const rootsOf = (paths: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<{ source: string; name: string }>, InvalidStoreOption> =>
  Effect.gen(function*() {
    if (paths.length === 0) return yield* Effect.fail(new InvalidStoreOption({ option: "paths", reason: "give at least one file or directory to add" }))
    const roots = paths.map((given) => ({ source: path.resolve(given), name: path.basename(path.resolve(given)) }))
    const seen = new Map<string, string>()
    for (const root of roots) {
      if (root.name === "") {
        return yield* Effect.fail(
          new InvalidStoreOption({ option: "paths", reason: "the filesystem root itself cannot be added; add the directories under it" })
        )
      }
      const other = seen.get(root.name)
      if (other !== undefined) {
        return yield* Effect.fail(
          new InvalidStoreOption({
            option: "paths",
            reason: `${other} and ${root.source} would both be stored as ${JSON.stringify(root.name)}; add them in separate snapshots`
          })
        )
      }
      seen.set(root.name, root.source)
    }
    return roots
  })

/**
 * Every entry under the roots, depth first in name order, without the store's
 * own directory; unreadable entries below a root become warnings.
 */
const scan = (
  roots: ReadonlyArray<{ source: string; name: string }>,
  storeDir: string,
  warnings: Array<AddWarning>
): Effect.Effect<ReadonlyArray<Planned>, FileError, Files> =>
  Effect.gen(function*() {
    const files = yield* Files
    const planned: Array<Planned> = []
    const stack: Array<{ source: string; path: string; stat: FileInfo }> = []
    for (const root of [...roots].reverse()) {
      const stat = yield* files.stat(root.source)
      stack.push({ source: root.source, path: root.name, stat })
    }
    while (stack.length > 0) {
      const next = stack.pop()!
      if (next.source === storeDir) {
        // Backing the store up into itself would read the packs it is writing.
        warnings.push({ path: next.path, reason: "skipped: this is the store itself" })
        continue
      }
      const plan = planOf(next.source, next.path, next.stat)
      if (!("type" in plan)) {
        warnings.push(plan)
        continue
      }
      planned.push(plan)
      if (plan.type !== "dir") continue
      const names = yield* files.list(next.source).pipe(
        Effect.catch((error) => Effect.sync(() => (warnings.push({ path: next.path, reason: `directory not read: ${error.message}` }), [])))
      )
      const children: Array<{ source: string; path: string; stat: FileInfo }> = []
      for (const name of names) {
        const source = path.join(next.source, name)
        const child = `${next.path}/${name}`
        const stat = yield* files.stat(source).pipe(
          Effect.catch((error) => Effect.sync(() => (warnings.push({ path: child, reason: `skipped: ${error.message}` }), undefined)))
        )
        if (stat !== undefined) children.push({ source, path: child, stat })
      }
      for (const child of children.reverse()) stack.push(child)
    }
    return planned
  })

/**
 * The files of the latest snapshot of exactly these roots, by path. A file
 * whose size, mtime (to the nanosecond) and mode are unchanged since is not
 * read again: its chunk list is reused when every chunk is still stored (gc
 * may have removed them). restic and borg skip unchanged files the same way;
 * a snapshot that cannot be read is simply not used as a parent.
 */
const parentFiles = (repo: Repo, roots: ReadonlyArray<{ readonly source: string }>) =>
  Effect.gen(function*() {
    const wanted = roots.map((root) => root.source).sort().join("\0")
    // Every snapshot is opened, but only the chosen one's tree is checked entry by entry (the checks cost
    // ~10x the opening): the newest of the right roots whose whole shape checks out, as if all were read.
    const candidates: Array<{ readonly id: string; readonly file: string; readonly time: string; readonly json: unknown }> = []
    for (const id of yield* listSnapshotIds(repo.dir)) {
      const opened = yield* Effect.option(readSnapshotBody(repo.dir, id, repo.cipher))
      if (opened._tag === "None") continue
      const head = headOf(opened.value.json)
      if (head === undefined || [...head.roots].sort().join("\0") !== wanted) continue
      candidates.push({ id, file: opened.value.file, time: head.time, json: opened.value.json })
    }
    // Newest first; of equal times the first listed, as before.
    candidates.sort((a, b) => (a.time > b.time ? -1 : a.time < b.time ? 1 : 0))
    let parent: Snapshot | undefined
    for (const candidate of candidates) {
      const decoded = decodeSnapshotBody(candidate.file, candidate.id, candidate.json)
      if (Result.isSuccess(decoded)) {
        parent = decoded.success
        break
      }
    }
    const files = new Map<string, FileEntry>()
    for (const entry of parent?.entries ?? []) if (entry.type === "file") files.set(entry.path, entry)
    return files
  })

/** The time and roots of a snapshot body, read loosely: the full check comes after. */
const headOf = (json: unknown): { readonly time: string; readonly roots: ReadonlyArray<string> } | undefined => {
  if (typeof json !== "object" || json === null) return undefined
  const { roots, time } = json as { readonly time?: unknown; readonly roots?: unknown }
  if (typeof time !== "string" || !Array.isArray(roots) || !roots.every((root) => typeof root === "string")) return undefined
  return { time, roots }
}

export const add = (repo: Repo, paths: ReadonlyArray<string>, options: AddOptions = {}): Effect.Effect<AddResult, AddError, Files> =>
  Effect.gen(function*() {
    const roots = yield* rootsOf(paths)
    return yield* withLock(repo.dir, "add", addLocked(repo, roots, options), repo.now)
  })

const addLocked = (
  repo: Repo,
  roots: ReadonlyArray<{ source: string; name: string }>,
  options: AddOptions
): Effect.Effect<AddResult, FileError, Files> =>
  Effect.gen(function*() {
    const disk = yield* Files
    const checkpoint = options.checkpoint ?? (() => Effect.void)
    const onProgress = options.onProgress ?? (() => {})
    const packsDir = packsDirOf(repo)
    for (const dir of [packsDir, snapshotsDirOf(repo)]) {
      yield* disk.makeDirectory(dir, { recursive: true })
      yield* removeStaleTemps(dir)
    }
    yield* removeStaleTemps(repo.dir)

    const warnings: Array<AddWarning> = []
    const planned = yield* scan(roots, repo.dir, warnings)
    const files = planned.filter((entry) => entry.type === "file")
    const totalBytes = files.reduce((sum, entry) => sum + entry.size, 0)
    const { minSize } = repo.config.chunker
    const loaded = yield* loadIndex(repo.dir, repo.cipher)
    const parent = yield* parentFiles(repo, roots)
    const index: ChunkIndex = loaded.index
    // Every chunk but a file's last is at least minSize: this bounds the new ids, so the filter never resizes midway.
    index.reserve(Math.ceil(totalBytes / minSize) + files.length)

    const counts = { files: 0, bytes: 0, newChunks: 0, dedupChunks: 0, newBytes: 0, storedBytes: 0, packs: 0 }
    const progress = (file: string) =>
      onProgress({ phase: "store", totalFiles: files.length, totalBytes, path: file, ...counts })
    onProgress({ phase: "scan", totalFiles: files.length, totalBytes, path: "", ...counts })

    /** Chunks chosen for storing whose pack is not finished yet: later copies in this add are duplicates. */
    const pending = new Set<string>()
    /** New chunks being compressed, oldest first. */
    const compressing: Array<{ readonly id: Uint8Array; readonly rawLength: number; readonly stored: Fiber.Fiber<Compressed> }> = []
    let open: { readonly writer: PackWriter; readonly scope: Scope.Closeable } | undefined

    const finishPack = Effect.gen(function*() {
      if (open === undefined) return
      const { scope, writer } = open
      const pack = yield* writer.finish()
      open = undefined
      yield* Scope.close(scope, Exit.void)
      index.addPack(pack.name, pack.size, pack.entries)
      for (const entry of pack.entries) pending.delete(toHex(entry.id))
      counts.storedBytes += pack.size
      counts.packs++
      yield* checkpoint("pack-written")
    })

    const writer = Effect.gen(function*() {
      open ??= yield* openPackWriterScope(packsDir, repo.cipher).pipe(Effect.provideService(Files, disk))
      return open.writer
    })

    const appendChunk = (chunk: Omit<ChunkHeader, "storedLength">, stored: Uint8Array) =>
      Effect.gen(function*() {
        const pack = yield* writer
        yield* pack.append(chunk, stored)
        if (pack.size >= repo.packSize) yield* finishPack
      })

    const compress = (choice: CodecChoice, bytes: Uint8Array): Effect.Effect<Compressed> =>
      Effect.map(compressChunk(choice, bytes), (stored) =>
        // Compression that does not shrink the chunk is not worth a decompression on every read.
        stored.byteLength >= bytes.byteLength
          ? { codec: STORE, level: 0, stored: bytes }
          : { codec: choice.codec, level: choice.level, stored })

    /** Appends the oldest chunk being compressed, once it is. */
    const appendOldest = Effect.gen(function*() {
      const next = compressing.shift()!
      const done = yield* Fiber.join(next.stored)
      yield* appendChunk({ id: next.id, codec: done.codec, level: done.level, rawLength: next.rawLength }, done.stored)
    })

    const appendAll = Effect.gen(function*() {
      while (compressing.length > 0) yield* appendOldest
    })

    /** The parent's entry of an unchanged file whose chunks are all still stored, counted; else undefined. */
    const reuse = (file: Planned): FileEntry | undefined => {
      const before = parent.get(file.path)
      if (before === undefined || before.size !== file.size || before.mtime !== file.mtime || before.mode !== file.mode) return undefined
      if (!before.chunks.every((hex) => !index.isNew(Buffer.from(hex, "hex")))) return undefined
      counts.files++
      counts.bytes += before.size
      counts.dedupChunks += before.chunks.length
      progress(file.path)
      return before
    }

    const storeFile = (file: Planned) =>
      Effect.gen(function*() {
        const ids: Array<string> = []
        const emit = (chunk: Uint8Array) =>
          Effect.gen(function*() {
            const id = chunkIdOf(repo.config.chunkIdKey, chunk)
            const hex = toHex(id)
            ids.push(hex)
            counts.bytes += chunk.byteLength
            if (pending.has(hex) || !index.isNew(id)) counts.dedupChunks++
            else {
              pending.add(hex)
              counts.newChunks++
              counts.newBytes += chunk.byteLength
              const choice = repo.codec.choose(chunk)
              if (choice.codec === STORE) {
                // Nothing to wait for: the writer copies it before the chunk buffer moves on.
                yield* appendChunk({ id, codec: STORE, level: 0, rawLength: chunk.byteLength }, chunk)
              } else {
                // Started now, on its own copy (the chunk buffer moves on); a failed add interrupts it with the add.
                const stored = yield* Effect.forkChild(compress(choice, chunk.slice()), { startImmediately: true })
                compressing.push({ id, rawLength: chunk.byteLength, stored })
                if (compressing.length > repo.compressConcurrency) yield* appendOldest
              }
            }
            progress(file.path)
          })
        const unreadable = (error: { readonly message: string }) => new SourceUnreadable({ path: file.path, reason: error.message })
        // Read the file the scan saw as a file, never a symlink swapped in since.
        const size = yield* Effect.scoped(Effect.flatMap(
          Effect.mapError(disk.openRead(file.source, { followSymlinks: false }), unreadable),
          (reader) =>
            chunkStream(
              repo.cutter,
              (buffer, offset, length) => Effect.mapError(reader.read(buffer.subarray(offset, offset + length)), unreadable),
              emit,
              chunkBuffer
            )
        ))
        counts.files++
        return { type: "file" as const, path: file.path, mode: file.mode, mtime: file.mtime, size, chunks: ids }
      })

    const chunkBuffer = makeChunkBuffer(repo.cutter.params)
    const entries: Array<TreeEntry> = []
    const run = Effect.gen(function*() {
      for (const entry of planned) {
        if (entry.type === "dir") entries.push({ type: "dir", path: entry.path, mode: entry.mode, mtime: entry.mtime })
        else if (entry.type === "symlink") {
          const target = yield* disk.readLink(entry.source).pipe(
            Effect.catch((error) => Effect.sync(() => (warnings.push({ path: entry.path, reason: `skipped: ${error.message}` }), undefined)))
          )
          if (target !== undefined) entries.push({ type: "symlink", path: entry.path, mode: entry.mode, mtime: entry.mtime, target })
        } else {
          // Checked outside storeFile: most files of a repeated add are unchanged, and need no effect of their own.
          const reused = reuse(entry)
          if (reused !== undefined) {
            entries.push(reused)
            continue
          }
          const stored = yield* storeFile(entry).pipe(
            Effect.catchTag("SourceUnreadable", (error) =>
              Effect.sync(() => (warnings.push({ path: error.path, reason: `skipped: ${error.reason}` }), undefined)))
          )
          if (stored !== undefined) entries.push(stored)
        }
      }
      yield* appendAll
      yield* finishPack
    })
    // An unfinished pack's temporary file goes with its scope, whatever ends the add.
    yield* run.pipe(Effect.onExit(() => (open === undefined ? Effect.void : Scope.close(open.scope, Exit.void))))

    if (counts.packs > 0 || loaded.dirty) {
      yield* writeIndex(repo.dir, index, repo.cipher)
      yield* checkpoint("index-written")
    }
    const snapshot = yield* writeSnapshot(
      repo.dir,
      { time: repo.now().toISOString(), host: repo.host, roots: roots.map((root) => root.source), entries },
      repo.cipher
    )
    const kinds = { files: 0, dirs: 0, symlinks: 0 }
    let bytes = 0
    for (const entry of entries) {
      kinds[entry.type === "file" ? "files" : entry.type === "dir" ? "dirs" : "symlinks"]++
      if (entry.type === "file") bytes += entry.size
    }
    return {
      snapshot,
      ...kinds,
      bytes,
      newChunks: counts.newChunks,
      dedupChunks: counts.dedupChunks,
      newBytes: counts.newBytes,
      storedBytes: counts.storedBytes,
      packs: counts.packs,
      bloomFalsePositives: index.bloomFalsePositives,
      warnings
    }
  })
