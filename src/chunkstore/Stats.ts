/** `stats`: how much the snapshots hold, and how much of it deduplication and compression saved. */
import { Effect } from "effect"
import type { Files } from "../adapters/fs/Files.ts"
import type { RepoCorrupt, SnapshotNotFound, FileError } from "./Errors.ts"
import { loadIndex } from "./Index.ts"
import { fromHex } from "./internal/fs.ts"
import type { Repo } from "./internal/repo.ts"
import { listSnapshotIds, readSnapshot } from "./Snapshots.ts"

export interface StoreStats {
  readonly snapshots: number
  /** Files over all snapshots, counted once per snapshot. */
  readonly files: number
  /** Logical size: the sum of the file sizes over all snapshots. */
  readonly logicalBytes: number
  /** Distinct chunks the snapshots reference. */
  readonly chunks: number
  /** Their size before compression: what is left after deduplication. */
  readonly uniqueBytes: number
  /** Their size in the packs (compressed, with record headers). */
  readonly compressedBytes: number
  readonly packs: number
  /** Stored size: the bytes of all packs. */
  readonly storedBytes: number
  /** Bytes of chunk records no snapshot needs (unreferenced chunks, second copies): what gc reclaims. */
  readonly reclaimableBytes: number
  /** logicalBytes / uniqueBytes (1 when empty). */
  readonly dedupRatio: number
  /** uniqueBytes / compressedBytes (1 when empty). */
  readonly compressionRatio: number
  /** logicalBytes / storedBytes (1 when empty). */
  readonly totalRatio: number
}

const ratio = (a: number, b: number) => (b === 0 ? 1 : a / b)

export const stats = (repo: Repo): Effect.Effect<StoreStats, RepoCorrupt | SnapshotNotFound | FileError, Files> =>
  Effect.gen(function*() {
    const { index } = yield* loadIndex(repo.dir, repo.cipher)
    const ids = yield* listSnapshotIds(repo.dir)
    const referenced = new Set<number>()
    let files = 0
    let logicalBytes = 0
    for (const id of ids) {
      const snapshot = yield* readSnapshot(repo.dir, id, repo.cipher)
      for (const entry of snapshot.entries) {
        if (entry.type !== "file") continue
        files++
        logicalBytes += entry.size
        for (const hex of entry.chunks) {
          const n = index.primaryOf(fromHex(hex))
          if (n >= 0) referenced.add(n)
        }
      }
    }
    let uniqueBytes = 0
    let compressedBytes = 0
    for (const n of referenced) {
      const entry = index.entryAt(n)
      uniqueBytes += entry.rawLength
      compressedBytes += entry.length
    }
    let reclaimableBytes = 0
    for (let n = 0; n < index.entryCount; n++) if (!referenced.has(n)) reclaimableBytes += index.entryAt(n).length
    const storedBytes = index.packs().reduce((sum, pack) => sum + pack.size, 0)
    return {
      snapshots: ids.length,
      files,
      logicalBytes,
      chunks: referenced.size,
      uniqueBytes,
      compressedBytes,
      packs: index.packCount,
      storedBytes,
      reclaimableBytes,
      dedupRatio: ratio(logicalBytes, uniqueBytes),
      compressionRatio: ratio(uniqueBytes, compressedBytes),
      totalRatio: ratio(logicalBytes, storedBytes)
    }
  })
