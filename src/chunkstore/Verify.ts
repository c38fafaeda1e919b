/**
 * `verify`: re-reads every pack, re-hashes every chunk, reads every
 * snapshot, and says which files of which snapshots a damaged or missing
 * chunk breaks. Damage is the report, never a failure: only an I/O error
 * on the store's directories themselves fails it.
 *
 * Three layers of checks: a pack's SHA-256 against its name (any flipped
 * bit anywhere), each record opened, decompressed and its keyed hash
 * compared with its id (which chunk), and each snapshot's chunk list
 * against the index (which file). Files are judged by the copy a restore
 * would read (the primary).
 */
import { createHash } from "node:crypto"
import * as path from "node:path"
import { Effect, Result } from "effect"
import type { Files } from "../adapters/fs/Files.ts"
import type { FileError } from "./Errors.ts"
import { loadIndex } from "./Index.ts"
import { fromHex, toHex } from "./internal/fs.ts"
import { packsDirOf, type Repo } from "./internal/repo.ts"
import { openChunk, packFileName, PACK_PREAMBLE_BYTES, parseTrailer, readPack } from "./Packs.ts"
import { listSnapshotIds, readSnapshot, type Snapshot } from "./Snapshots.ts"

export interface DamagedPack {
  readonly pack: string
  readonly reason: string
}

export interface DamagedChunk {
  readonly id: string
  readonly pack: string
  /** Byte offset of its record in the pack. */
  readonly offset: number
  readonly reason: string
}

export interface DamagedSnapshot {
  readonly snapshot: string
  readonly reason: string
}

/** A file of a snapshot that would not restore intact, and why, chunk by chunk. */
export interface DamagedFile {
  readonly snapshot: string
  readonly path: string
  readonly reasons: ReadonlyArray<string>
}

export interface VerifyReport {
  /** True when nothing is damaged or missing. */
  readonly ok: boolean
  readonly snapshots: number
  readonly packs: number
  /** Records opened and re-hashed (every copy of every chunk). */
  readonly chunks: number
  /** Plaintext bytes re-hashed. */
  readonly bytes: number
  /** What loading the store found and repaired in memory (missing index, unindexed packs); not damage. */
  readonly notes: ReadonlyArray<string>
  readonly damagedPacks: ReadonlyArray<DamagedPack>
  readonly damagedChunks: ReadonlyArray<DamagedChunk>
  readonly damagedSnapshots: ReadonlyArray<DamagedSnapshot>
  readonly damagedFiles: ReadonlyArray<DamagedFile>
  /** Chunks no snapshot references: gc reclaims them. */
  readonly unreferencedChunks: number
}

export interface VerifyOptions {
  readonly onProgress?: (progress: { readonly packs: number; readonly totalPacks: number; readonly bytes: number }) => void
}

const short = (hex: string) => `${hex.slice(0, 16)}…`

export const verify = (repo: Repo, options: VerifyOptions = {}): Effect.Effect<VerifyReport, FileError, Files> =>
  Effect.gen(function*() {
    const loaded = yield* loadIndex(repo.dir, repo.cipher)
    const { index } = loaded
    const damagedPacks: Array<DamagedPack> = [...loaded.damagedPacks]
    const damagedChunks: Array<DamagedChunk> = []
    /** Entry number → why that copy is bad. */
    const badEntries = new Map<number, string>()
    const missing = new Set(loaded.missingPacks)
    const context = { cipher: repo.cipher, chunkIdKey: repo.config.chunkIdKey }
    let chunks = 0
    let bytes = 0
    let packsChecked = 0

    for (const pack of index.packs()) {
      const file = path.join(packsDirOf(repo), packFileName(pack.name))
      const markAll = (reason: string) => {
        for (let n = pack.first; n < pack.first + pack.count; n++) badEntries.set(n, reason)
      }
      if (missing.has(pack.name)) {
        damagedPacks.push({ pack: pack.name, reason: "missing: the index lists it but the file is gone" })
        markAll(`its pack ${pack.name.slice(0, 16)}… is missing`)
        continue
      }
      const read = yield* Effect.result(readPack(file))
      if (Result.isFailure(read)) {
        damagedPacks.push({ pack: pack.name, reason: read.failure.message })
        markAll(`its pack ${pack.name.slice(0, 16)}… cannot be read`)
        continue
      }
      const content = read.success
      packsChecked++
      const problems: Array<string> = []
      const hash = createHash("sha256").update(content).digest("hex")
      if (hash !== pack.name) problems.push(`its SHA-256 is ${hash.slice(0, 16)}…, not its name: the file changed after it was written`)
      if (content.byteLength !== pack.size) problems.push(`it is ${content.byteLength} bytes, the index says ${pack.size}`)
      const trailer = parseTrailer(content.subarray(PACK_PREAMBLE_BYTES), content.byteLength, repo.cipher)
      if (Result.isFailure(trailer)) problems.push(`its trailer does not check: ${trailer.failure}`)
      let badHere = 0
      for (let n = pack.first; n < pack.first + pack.count; n++) {
        const entry = index.entryAt(n)
        const id = toHex(entry.id)
        chunks++
        const fail = (reason: string) => {
          badHere++
          badEntries.set(n, reason)
          damagedChunks.push({ id, pack: pack.name, offset: entry.offset, reason })
        }
        if (entry.offset + entry.length > content.byteLength) {
          fail(`its record (${entry.length} bytes at byte ${entry.offset}) runs past the end of the pack`)
          continue
        }
        const opened = yield* Effect.result(openChunk(content.subarray(entry.offset, entry.offset + entry.length), entry.id, context))
        if (Result.isFailure(opened)) fail(opened.failure.reason)
        else bytes += opened.success.byteLength
      }
      if (badHere > 0) problems.push(`${badHere} of its ${pack.count} chunks are damaged`)
      if (problems.length > 0) damagedPacks.push({ pack: pack.name, reason: problems.join("; ") })
      options.onProgress?.({ packs: packsChecked, totalPacks: index.packCount, bytes })
    }

    const damagedSnapshots: Array<DamagedSnapshot> = []
    const damagedFiles: Array<DamagedFile> = []
    const referenced = new Set<number>()
    const ids = yield* listSnapshotIds(repo.dir)
    for (const snapshotId of ids) {
      const read = yield* Effect.result(readSnapshot(repo.dir, snapshotId, repo.cipher))
      if (Result.isFailure(read)) {
        damagedSnapshots.push({ snapshot: snapshotId, reason: read.failure.message })
        continue
      }
      const snapshot: Snapshot = read.success
      for (const entry of snapshot.entries) {
        if (entry.type !== "file") continue
        const reasons: Array<string> = []
        let total = 0
        for (const hex of entry.chunks) {
          const n = index.primaryOf(fromHex(hex))
          if (n < 0) {
            reasons.push(`chunk ${short(hex)} is in no pack`)
            continue
          }
          referenced.add(n)
          const entryInfo = index.entryAt(n)
          total += entryInfo.rawLength
          const bad = badEntries.get(n)
          if (bad !== undefined) reasons.push(`chunk ${short(hex)} in pack ${short(entryInfo.pack)} at byte ${entryInfo.offset}: ${bad}`)
        }
        if (reasons.length === 0 && total !== entry.size) {
          reasons.push(`its chunks hold ${total} bytes, the snapshot records ${entry.size}`)
        }
        if (reasons.length > 0) damagedFiles.push({ snapshot: snapshotId, path: entry.path, reasons })
      }
    }
    let unreferencedChunks = 0
    for (let n = 0; n < index.entryCount; n++) if (index.isPrimary(n) && !referenced.has(n)) unreferencedChunks++

    return {
      ok: damagedPacks.length === 0 && damagedChunks.length === 0 && damagedSnapshots.length === 0 && damagedFiles.length === 0,
      snapshots: ids.length,
      packs: packsChecked,
      chunks,
      bytes,
      notes: loaded.notes,
      damagedPacks,
      damagedChunks,
      damagedSnapshots,
      damagedFiles,
      unreferencedChunks
    }
  })
