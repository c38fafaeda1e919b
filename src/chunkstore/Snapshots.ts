/**
 * Snapshots: what an add recorded, one file per snapshot in
 * `<store>/snapshots/` (docs/store-format.md §8). A snapshot is the tree of
 * what was added (paths relative to the roots' parents, so each root appears
 * under its own name), with the chunk ids of every file.
 *
 * An add writes its snapshot last, after its packs and the index: a
 * snapshot that exists refers only to chunks that are on disk, and an
 * interrupted add leaves no snapshot at all.
 *
 * The file, integers little-endian:
 *
 *   0      8 bytes  magic "SVSNAP\0\0"
 *   8      u32      format version (1)
 *   12     u32      body encoding: 0 UTF-8 JSON, 1 brotli-compressed UTF-8 JSON
 *   16     seal("snapshot", body)
 *   end-32 32 bytes SHA-256 of every byte before it
 *
 * The snapshot's id is the first 16 hex digits of the SHA-256 of the JSON
 * body, and its file name.
 */
import { createHash } from "node:crypto"
import { brotliCompressSync, brotliDecompressSync, constants as zlibConstants } from "node:zlib"
import * as path from "node:path"
import { Effect, Result, Schema } from "effect"
import type { Files } from "../adapters/fs/Files.ts"
import type { RepoCipher } from "./Cipher.ts"
import { RepoCorrupt, SnapshotNotFound, type FileError } from "./Errors.ts"
import { listDir, readBytes, removeFile, syncDir, writeAtomically } from "./internal/fs.ts"

export const SNAPSHOTS_DIR = "snapshots"
const PLAIN_JSON = 0
const BROTLI_JSON = 1
/** A decompressed body larger than this is refused (a hostile file must not balloon memory). */
const MAX_BODY_BYTES = 1024 * 1024 * 1024
export const SNAPSHOT_MAGIC: Uint8Array = new TextEncoder().encode("SVSNAP\0\0")
export const SNAPSHOT_VERSION = 1
const PREAMBLE_BYTES = 16
const CHECKSUM_BYTES = 32
export const SNAPSHOT_ID = /^[0-9a-f]{16}$/

const Mtime = Schema.String.check(Schema.isPattern(/^-?\d{1,20}$/))
const Mode = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 0o7777 }))

const FileEntry = Schema.Struct({
  type: Schema.Literal("file"),
  path: Schema.String,
  mode: Mode,
  /** Modification time in nanoseconds since the epoch, as a decimal string (a double cannot hold it). */
  mtime: Mtime,
  size: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  /** Chunk ids, hex, in file order. */
  chunks: Schema.Array(Schema.String.check(Schema.isPattern(/^[0-9a-f]{64}$/)))
})
const DirEntry = Schema.Struct({ type: Schema.Literal("dir"), path: Schema.String, mode: Mode, mtime: Mtime })
const SymlinkEntry = Schema.Struct({ type: Schema.Literal("symlink"), path: Schema.String, mode: Mode, mtime: Mtime, target: Schema.String })
const TreeEntry = Schema.Union([FileEntry, DirEntry, SymlinkEntry])

const SnapshotBody = Schema.Struct({
  time: Schema.String,
  host: Schema.String,
  /** The paths given to add, as given (absolute). */
  roots: Schema.Array(Schema.String),
  entries: Schema.Array(TreeEntry)
})
const decodeBody = Schema.decodeUnknownResult(SnapshotBody)

export type FileEntry = typeof FileEntry.Type
export type DirEntry = typeof DirEntry.Type
export type SymlinkEntry = typeof SymlinkEntry.Type
export type TreeEntry = typeof TreeEntry.Type
export type SnapshotBody = typeof SnapshotBody.Type

export interface Snapshot extends SnapshotBody {
  readonly id: string
}

export interface SnapshotSummary {
  readonly id: string
  readonly time: string
  readonly host: string
  readonly roots: ReadonlyArray<string>
  readonly files: number
  readonly dirs: number
  readonly symlinks: number
  /** The sum of the file sizes. */
  readonly bytes: number
}

export const summarize = (snapshot: Snapshot): SnapshotSummary => {
  let files = 0
  let dirs = 0
  let symlinks = 0
  let bytes = 0
  for (const entry of snapshot.entries) {
    if (entry.type === "file") {
      files++
      bytes += entry.size
    } else if (entry.type === "dir") dirs++
    else symlinks++
  }
  return { id: snapshot.id, time: snapshot.time, host: snapshot.host, roots: snapshot.roots, files, dirs, symlinks, bytes }
}

const snapshotsDir = (dir: string) => path.join(dir, SNAPSHOTS_DIR)

export const snapshotIdOf = (json: Uint8Array): string => createHash("sha256").update(json).digest("hex").slice(0, 16)

/** Writes the snapshot atomically and returns its id. */
export const writeSnapshot = (dir: string, body: SnapshotBody, cipher: RepoCipher): Effect.Effect<string, FileError, Files> =>
  Effect.gen(function*() {
    const json = new TextEncoder().encode(JSON.stringify(body))
    const id = snapshotIdOf(json)
    const preamble = new Uint8Array(PREAMBLE_BYTES)
    preamble.set(SNAPSHOT_MAGIC, 0)
    new DataView(preamble.buffer).setUint32(8, SNAPSHOT_VERSION, true)
    // A tree of many files is mostly repeated keys and hex chunk ids: compressed, it is several times smaller.
    // Quality 1: on a 3,050-file tree (560 KB of JSON) it gave 162 KB in ~3 ms where quality 5 gave 173 KB in
    // 40-110 ms (the random hex ids are most of the bytes; the higher levels only pay for the keys).
    new DataView(preamble.buffer).setUint32(12, BROTLI_JSON, true)
    const sealed = cipher.seal("snapshot", brotliCompressSync(json, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 1 } }))
    const checksum = createHash("sha256").update(preamble).update(sealed).digest()
    yield* writeAtomically(path.join(snapshotsDir(dir), id), [preamble, sealed, checksum])
    return id
  })

/**
 * The body of snapshot bytes as parsed JSON, after every check but its
 * shape's (`decodeSnapshotBody`), most telling reason first. Never throws.
 */
export const openSnapshotBody = (file: string, id: string, bytes: Uint8Array, cipher: RepoCipher): Result.Result<unknown, RepoCorrupt> => {
  const corrupt = (reason: string) => Result.fail(new RepoCorrupt({ file, reason }))
  if (bytes.byteLength < PREAMBLE_BYTES + CHECKSUM_BYTES) return corrupt(`truncated: ${bytes.byteLength} bytes`)
  if (!SNAPSHOT_MAGIC.every((byte, i) => bytes[i] === byte)) return corrupt("bad magic: not a SigmaVault snapshot")
  const bodyEnd = bytes.byteLength - CHECKSUM_BYTES
  const computed = createHash("sha256").update(bytes.subarray(0, bodyEnd)).digest()
  if (!computed.equals(bytes.subarray(bodyEnd))) return corrupt("checksum mismatch: the file was damaged or cut short")
  const version = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true)
  if (version !== SNAPSHOT_VERSION) {
    return corrupt(version > SNAPSHOT_VERSION ? `format version ${version} is newer than this release reads` : `unknown format version ${version}`)
  }
  const encoding = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(12, true)
  if (encoding !== PLAIN_JSON && encoding !== BROTLI_JSON) return corrupt(`unknown body encoding ${encoding}`)
  const opened = cipher.open("snapshot", bytes.subarray(PREAMBLE_BYTES, bodyEnd))
  if (Result.isFailure(opened)) return corrupt(`does not open: ${opened.failure}`)
  const body = encoding === PLAIN_JSON
    ? Result.succeed(opened.success)
    : Result.try(() => new Uint8Array(brotliDecompressSync(opened.success, { maxOutputLength: MAX_BODY_BYTES })))
  if (Result.isFailure(body)) return corrupt("the compressed body does not decompress")
  if (snapshotIdOf(body.success) !== id) return corrupt(`its content hashes to ${snapshotIdOf(body.success)}, not to its name`)
  const json = Result.try(() => JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body.success)) as unknown)
  if (Result.isFailure(json)) return corrupt("the body is not JSON")
  return Result.succeed(json.success)
}

/** The snapshot in an opened body, if it has a snapshot's shape. */
export const decodeSnapshotBody = (file: string, id: string, json: unknown): Result.Result<Snapshot, RepoCorrupt> => {
  const decoded = decodeBody(json)
  if (Result.isFailure(decoded)) return Result.fail(new RepoCorrupt({ file, reason: `unexpected shape: ${decoded.failure.message.split("\n")[0]}` }))
  return Result.succeed({ id, ...decoded.success })
}

/** Checks snapshot bytes, most telling reason first. Never throws. */
export const decodeSnapshot = (file: string, id: string, bytes: Uint8Array, cipher: RepoCipher): Result.Result<Snapshot, RepoCorrupt> =>
  Result.flatMap(openSnapshotBody(file, id, bytes, cipher), (json) => decodeSnapshotBody(file, id, json))

/** The ids of the snapshots in the store, sorted. */
export const listSnapshotIds = (dir: string): Effect.Effect<ReadonlyArray<string>, FileError, Files> =>
  Effect.map(listDir(snapshotsDir(dir)), (names) => names.filter((name) => SNAPSHOT_ID.test(name)))

/** The full id of the snapshot `idOrPrefix` names: itself, or the one id it starts. */
export const resolveSnapshotId = (dir: string, idOrPrefix: string): Effect.Effect<string, SnapshotNotFound | FileError, Files> =>
  Effect.gen(function*() {
    const ids = yield* listSnapshotIds(dir)
    if (ids.includes(idOrPrefix)) return idOrPrefix
    const matches = idOrPrefix.length === 0 ? [] : ids.filter((id) => id.startsWith(idOrPrefix))
    if (matches.length === 1) return matches[0]!
    return yield* Effect.fail(new SnapshotNotFound({ snapshot: idOrPrefix, matches: matches.length }))
  })

/** The opened body of a snapshot (`openSnapshotBody`), with its file name for `decodeSnapshotBody`. */
export const readSnapshotBody = (
  dir: string,
  id: string,
  cipher: RepoCipher
): Effect.Effect<{ readonly file: string; readonly json: unknown }, SnapshotNotFound | RepoCorrupt | FileError, Files> =>
  Effect.gen(function*() {
    const file = path.join(snapshotsDir(dir), id)
    const bytes = SNAPSHOT_ID.test(id) ? yield* readBytes(file) : undefined
    if (bytes === undefined) return yield* Effect.fail(new SnapshotNotFound({ snapshot: id, matches: 0 }))
    return { file, json: yield* Effect.fromResult(openSnapshotBody(file, id, bytes, cipher)) }
  })

export const readSnapshot = (
  dir: string,
  id: string,
  cipher: RepoCipher
): Effect.Effect<Snapshot, SnapshotNotFound | RepoCorrupt | FileError, Files> =>
  Effect.flatMap(readSnapshotBody(dir, id, cipher), ({ file, json }) => Effect.fromResult(decodeSnapshotBody(file, id, json)))

/** Deletes the snapshot file, durably. Its chunks stay until gc. */
export const deleteSnapshot = (dir: string, id: string): Effect.Effect<void, FileError, Files> =>
  Effect.gen(function*() {
    yield* removeFile(path.join(snapshotsDir(dir), id))
    yield* syncDir(snapshotsDir(dir))
  })
