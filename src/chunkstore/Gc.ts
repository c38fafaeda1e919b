/**
 * `gc`: reclaims chunks no snapshot references by rewriting the packs that
 * hold them (docs/store-format.md §7.2). A pack whose chunks are all live is
 * kept, one with none is deleted, and the live chunks of the rest are
 * copied, still compressed and sealed, into new packs.
 *
 * Safe if interrupted, because the steps only ever add before they remove:
 *
 *   1. write the new packs (each temporary, fsynced, renamed);
 *   2. write the new index (atomic), which no longer lists the old packs;
 *   3. delete the old packs.
 *
 * Crash after 1: the new packs are not in the index and get folded in at
 * the next load as second copies of live chunks. Crash after 2 or during 3:
 * the old packs are not in the index and get folded in as copies and dead
 * chunks. Either way every live chunk has a readable copy, the store
 * verifies, and the next gc deletes the leftovers. gc refuses to run when a
 * snapshot cannot be read, because it could not tell which chunks that
 * snapshot needs.
 */
import * as path from "node:path"
import { Effect, Result, Scope, Exit } from "effect"
import { Files } from "../adapters/fs/Files.ts"
import { RepoCorrupt, type RepoLocked, type SnapshotNotFound, type FileError } from "./Errors.ts"
import { ChunkIndex, loadIndex, type PackSummary, writeIndex } from "./Index.ts"
import { fromHex, removeFile, removeStaleTemps, syncDir } from "./internal/fs.ts"
import { withLock } from "./internal/Lock.ts"
import { type Checkpoint, packsDirOf, type Repo, snapshotsDirOf } from "./internal/repo.ts"
import {
  openPackWriterScope,
  openRecord,
  type PackEntry,
  type PackFile,
  packFileName,
  type PackWriter,
  readPack,
  readPackTrailer,
  sha256Hex
} from "./Packs.ts"
import { listSnapshotIds, readSnapshot } from "./Snapshots.ts"

export interface GcOptions {
  /** For crash tests; see `Checkpoint`. Steps: "packs-written", "index-written", "pack-deleted". */
  readonly checkpoint?: Checkpoint
}

export interface GcResult {
  readonly packsKept: number
  readonly packsRewritten: number
  /** Packs deleted without a rewrite: none of their chunks was live. */
  readonly packsDeleted: number
  readonly packsWritten: number
  /** Chunk copies dropped: unreferenced chunks and second copies. */
  readonly chunksRemoved: number
  readonly chunksKept: number
  /** Bytes of packs before and after. */
  readonly bytesBefore: number
  readonly bytesAfter: number
  /** Packs that hold dead chunks but were left alone because they are damaged (see verify). */
  readonly skipped: ReadonlyArray<{ readonly pack: string; readonly reason: string }>
}

export type GcError = RepoCorrupt | RepoLocked | FileError

/** Entry numbers of the primary copies of every chunk a snapshot references. */
const liveEntries = (repo: Repo, index: ChunkIndex): Effect.Effect<Set<number>, RepoCorrupt | FileError, Files> =>
  Effect.gen(function*() {
    const live = new Set<number>()
    for (const id of yield* listSnapshotIds(repo.dir)) {
      const snapshot = yield* readSnapshot(repo.dir, id, repo.cipher).pipe(
        Effect.catchTag("SnapshotNotFound", (missing: SnapshotNotFound) =>
          Effect.fail(new RepoCorrupt({ file: path.join(snapshotsDirOf(repo), id), reason: missing.message })))
      )
      for (const entry of snapshot.entries) {
        if (entry.type !== "file") continue
        for (const hex of entry.chunks) {
          const n = index.primaryOf(fromHex(hex))
          if (n >= 0) live.add(n)
        }
      }
    }
    return live
  })

export const gc = (repo: Repo, options: GcOptions = {}): Effect.Effect<GcResult, GcError, Files> =>
  withLock(repo.dir, "gc", gcLocked(repo, options), repo.now)

const gcLocked = (repo: Repo, options: GcOptions): Effect.Effect<GcResult, RepoCorrupt | FileError, Files> =>
  Effect.gen(function*() {
    const disk = yield* Files
    const checkpoint = options.checkpoint ?? (() => Effect.void)
    const packsDir = packsDirOf(repo)
    yield* removeStaleTemps(packsDir)
    yield* removeStaleTemps(snapshotsDirOf(repo))
    yield* removeStaleTemps(repo.dir)
    const loaded = yield* loadIndex(repo.dir, repo.cipher)
    const { index } = loaded
    const live = yield* liveEntries(repo, index).pipe(
      Effect.mapError((error) =>
        error._tag === "RepoCorrupt"
          ? new RepoCorrupt({ file: error.file, reason: `${error.reason}; gc cannot tell which chunks it needs, so it deleted nothing (forget that snapshot, or restore the file, first)` })
          : error
      )
    )
    const missing = new Set(loaded.missingPacks)

    const skipped: Array<{ pack: string; reason: string }> = []
    const rewrite: Array<PackSummary> = []
    const drop: Array<PackSummary> = []
    for (const pack of index.packs()) {
      let liveHere = 0
      for (let n = pack.first; n < pack.first + pack.count; n++) if (live.has(n)) liveHere++
      // A missing pack is verify's news, not gc's: it stays listed.
      if (missing.has(pack.name) || liveHere === pack.count) continue
      // A pack holding records its trailer does not list, or the index does not (a pack indexed by a scan
      // that stopped early), may hold chunks a snapshot needs: only a pack fully accounted for is touched.
      const trailer = yield* readPackTrailer(path.join(packsDir, packFileName(pack.name)), repo.cipher)
      if (Result.isFailure(trailer.entries) || trailer.entries.success.length !== pack.count) {
        const why = Result.isFailure(trailer.entries)
          ? `its trailer does not check (${trailer.entries.failure})`
          : `its trailer lists ${trailer.entries.success.length} chunks, the index ${pack.count}`
        skipped.push({ pack: pack.name, reason: `${why}; left as it is (see verify)` })
        continue
      }
      if (liveHere === 0) drop.push(pack)
      else rewrite.push(pack)
    }

    // 1. New packs holding the live chunks of the packs to rewrite.
    const written: Array<PackFile> = []
    const rewritten: Array<PackSummary> = []
    let open: { readonly writer: PackWriter; readonly scope: Scope.Closeable } | undefined
    const finish = Effect.gen(function*() {
      if (open === undefined) return
      const { scope, writer } = open
      written.push(yield* writer.finish())
      open = undefined
      yield* Scope.close(scope, Exit.void)
    })
    const writer = Effect.gen(function*() {
      open ??= yield* openPackWriterScope(packsDir, repo.cipher).pipe(Effect.provideService(Files, disk))
      return open.writer
    })
    const copyLive = Effect.gen(function*() {
      for (const pack of rewrite) {
        const file = path.join(packsDir, packFileName(pack.name))
        const content = yield* readPack(file)
        // Copying out of a pack that changed since it was written would spread the damage under a fresh name.
        if (sha256Hex(content) !== pack.name) {
          skipped.push({ pack: pack.name, reason: "its content no longer matches its name (damaged; see verify)" })
          continue
        }
        for (let n = pack.first; n < pack.first + pack.count; n++) {
          if (!live.has(n)) continue
          const entry = index.entryAt(n)
          const record = content.subarray(entry.offset, entry.offset + entry.length)
          const opened = openRecord(record, repo.cipher)
          if (Result.isFailure(opened)) {
            return yield* Effect.fail(new RepoCorrupt({ file, reason: `record at byte ${entry.offset} does not open: ${opened.failure}` }))
          }
          const out = yield* writer
          yield* out.appendRecord(opened.success.header, record.slice())
          if (out.size >= repo.packSize) yield* finish
        }
        rewritten.push(pack)
      }
      yield* finish
    })
    yield* copyLive.pipe(Effect.onExit(() => (open === undefined ? Effect.void : Scope.close(open.scope, Exit.void))))
    if (written.length > 0) yield* checkpoint("packs-written")

    // 2. The index without the old packs. A new pack can be byte for byte an old one (an interrupted
    // gc wrote it, then this gc found it a mere copy and rewrote the same chunks): that one stays.
    const writtenNames = new Set(written.map((pack) => pack.name))
    const retired = [...rewritten, ...drop].filter((pack) => !writtenNames.has(pack.name))
    const retiredNames = new Set(retired.map((pack) => pack.name))
    const freshPacks = written.filter((pack) => !index.hasPack(pack.name))
    if (retired.length > 0 || freshPacks.length > 0 || loaded.dirty) {
      const next = ChunkIndex.empty(index.chunkCount)
      for (const pack of index.packs()) {
        if (retiredNames.has(pack.name)) continue
        const entries: Array<PackEntry> = []
        for (let n = pack.first; n < pack.first + pack.count; n++) {
          const entry = index.entryAt(n)
          entries.push({ id: entry.id.slice(), offset: entry.offset, length: entry.length, rawLength: entry.rawLength })
        }
        next.addPack(pack.name, pack.size, entries)
      }
      for (const pack of written) next.addPack(pack.name, pack.size, pack.entries)
      yield* writeIndex(repo.dir, next, repo.cipher)
      yield* checkpoint("index-written")
    }

    // 3. The old packs.
    for (const pack of retired) {
      yield* removeFile(path.join(packsDir, packFileName(pack.name)))
      yield* checkpoint("pack-deleted")
    }
    if (retired.length > 0) yield* syncDir(packsDir)

    const sizeOf = (packs: ReadonlyArray<{ readonly size: number }>) => packs.reduce((sum, pack) => sum + pack.size, 0)
    const keptPacks = index.packs().filter((pack) => !retiredNames.has(pack.name))
    const chunksKept = keptPacks.reduce((sum, pack) => sum + pack.count, 0) + freshPacks.reduce((sum, pack) => sum + pack.entries.length, 0)
    return {
      packsKept: keptPacks.length,
      packsRewritten: rewritten.filter((pack) => retiredNames.has(pack.name)).length,
      packsDeleted: drop.filter((pack) => retiredNames.has(pack.name)).length,
      packsWritten: written.length,
      chunksRemoved: index.entryCount - chunksKept,
      chunksKept,
      bytesBefore: sizeOf(index.packs()),
      bytesAfter: sizeOf(keptPacks) + sizeOf(freshPacks),
      skipped
    }
  })

