/**
 * Manifests of trees and their verification, on the Files port (so a job for
 * a caller runs with the caller's view: CallerFiles). Hashing is streamed
 * through one reused 1 MiB buffer: memory does not grow with file size, only
 * with the number of files (one entry each). The walk never follows a
 * symbolic link and stays on the root's filesystem; only regular files are
 * entries (symbolic links, devices, pipes and sockets are counted as
 * skipped, as hashdeep does).
 *
 * Names that are not valid UTF-8 cannot be reached through the Files port's
 * string paths: the walk reports them as unreadable rather than miss them
 * silently (docs/integrity.md, limits).
 */
import { createHash } from "node:crypto"
import { Effect, Result } from "effect"
import type { CallerHasher, HashedFile } from "../adapters/fs/CallerFiles.ts"
import { type FileError, Files, type FilesShape } from "../adapters/fs/Files.ts"
import { verifySignature } from "../keys/KeyPair.ts"
import {
  comparePaths,
  displayPath,
  encodeBody,
  encodePath,
  type ManifestEntry,
  type ParsedManifest,
  pathBytes,
  signatureLine,
  signedMessage
} from "./Manifest.ts"

export const HASH_BUFFER_BYTES = 1024 * 1024
/**
 * Files in flight at once. Hashing runs on one core either way; what
 * overlaps is the waiting on opens, stats and reads (a small file costs more
 * in round trips than in hashing). Memory: this many read buffers.
 */
export const HASH_CONCURRENCY = 8

/** Read buffers lent to one file at a time, at most HASH_CONCURRENCY of them. */
const bufferPool = () => {
  const free: Array<Uint8Array> = []
  return {
    use: <A, E, R>(body: (buffer: Uint8Array) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      Effect.suspend(() => {
        const buffer = free.pop() ?? new Uint8Array(HASH_BUFFER_BYTES)
        return Effect.ensuring(body(buffer), Effect.sync(() => void free.push(buffer)))
      })
  }
}

/** Progress of a long job: bytes hashed of the bytes to hash, files done of the files to do. */
export interface TreeProgress {
  readonly bytes: number
  readonly totalBytes: number
  readonly files: number
  readonly totalFiles: number
}

export interface TreeOptions {
  readonly onProgress?: (progress: TreeProgress) => void
  /**
   * Hashes files in batches (a caller's file helper does, CallerFiles'
   * `hasherFor`); without it each file is opened and read through the Files port.
   */
  readonly hasher?: CallerHasher
}

/** A batch for a hasher holds at most this many files, or this many bytes (or one larger file). */
const BATCH_FILES = 64
const BATCH_BYTES = 64 * 1024 * 1024

type Outcome = Result.Result<HashedFile, FileError>

/** Each file's hash, in the order given: through `options.hasher` in batches, else one by one through Files. */
const hashAll = (
  files: FilesShape,
  list: ReadonlyArray<{ readonly path: string; readonly size: number }>,
  options: TreeOptions,
  progress: { readonly bytes: (n: number) => void; readonly file: () => void }
): Effect.Effect<ReadonlyArray<Outcome>> => {
  const hasher = options.hasher
  if (hasher === undefined) {
    const buffers = bufferPool()
    return Effect.forEach(list, (file) =>
      buffers.use((buffer) =>
        Effect.scoped(Effect.gen(function*() {
          const reader = yield* files.openRead(file.path, { followSymlinks: false })
          const sum = yield* hashOpened(reader.read, buffer, progress.bytes)
          // What the file was when it was read, not when it was listed.
          return { sha256: sum.sha256, bytes: sum.bytes, modifiedNs: reader.info.modifiedNs, mode: reader.info.mode }
        }))
      ).pipe(Effect.result, Effect.tap(() => Effect.sync(progress.file))), { concurrency: HASH_CONCURRENCY })
  }
  const batches: Array<Array<{ readonly path: string; readonly size: number }>> = []
  let bytes = 0
  for (const file of list) {
    const last = batches.at(-1)
    if (last === undefined || last.length >= BATCH_FILES || (bytes + file.size > BATCH_BYTES && last.length > 0)) {
      batches.push([file])
      bytes = file.size
    } else {
      last.push(file)
      bytes += file.size
    }
  }
  // Two batches in flight: the helper hashes the next while the daemon takes in the last.
  return Effect.map(
    Effect.forEach(batches, (batch) =>
      Effect.tap(hasher(batch), (outcomes) =>
        Effect.sync(() => {
          for (const outcome of outcomes) {
            if (Result.isSuccess(outcome)) progress.bytes(outcome.success.bytes)
            progress.file()
          }
        })), { concurrency: 2 }),
    (results) => results.flat()
  )
}

/** The lowercase hex SHA-256 of a whole file, read in pieces through `buffer`. */
export const hashOpened = (
  read: (buffer: Uint8Array) => Effect.Effect<number, FileError>,
  buffer: Uint8Array,
  onBytes?: (bytes: number) => void
): Effect.Effect<{ readonly sha256: string; readonly bytes: number }, FileError> =>
  Effect.gen(function*() {
    const hash = createHash("sha256")
    let bytes = 0
    for (;;) {
      const n = yield* read(buffer)
      if (n === 0) break
      hash.update(n === buffer.byteLength ? buffer : buffer.subarray(0, n))
      bytes += n
      onBytes?.(n)
      if (n < buffer.byteLength) break
    }
    return { sha256: hash.digest("hex"), bytes }
  })

/** The SHA-256 of the regular file at `path` (a symbolic link is refused, not followed). */
export const hashFile = (path: string, buffer: Uint8Array = new Uint8Array(HASH_BUFFER_BYTES), onBytes?: (bytes: number) => void) =>
  Effect.scoped(Effect.gen(function*() {
    const files = yield* Files
    const reader = yield* files.openRead(path, { followSymlinks: false })
    return yield* hashOpened(reader.read, buffer, onBytes)
  }))

const trimRoot = (root: string) => (root.length > 1 && root.endsWith("/") ? root.slice(0, -1) : root)

export interface Unreadable {
  readonly path: string
  readonly reason: string
}

interface Walked {
  readonly files: Array<{ readonly path: string; readonly relative: Uint8Array; readonly size: number; readonly modifiedNs: bigint; readonly mode: number }>
  readonly unreadable: Array<Unreadable>
  /** Relative paths (bytes, with a trailing '/') of directories that could not be listed. */
  readonly unlisted: Array<Uint8Array>
  skipped: number
}

const reasonOf = (error: FileError): string =>
  error.reason === "NotFound" ? "vanished, or its name is not valid UTF-8" : error.detail ?? error.message

/** The regular files under `root`, with what lstat said of them. */
const walkTree = (files: FilesShape, root: string): Effect.Effect<Walked, FileError> =>
  Effect.gen(function*() {
    const prefix = root === "/" ? 1 : root.length + 1
    const walked: Walked = { files: [], unreadable: [], unlisted: [], skipped: 0 }
    yield* files.walk(root, {
      entry: (entry) => {
        if (entry.info.type === "directory") return true
        if (entry.info.type !== "file") {
          walked.skipped++
          return true
        }
        walked.files.push({
          path: entry.path,
          relative: pathBytes(entry.path.slice(prefix)),
          size: entry.info.size,
          modifiedNs: entry.info.modifiedNs,
          mode: entry.info.mode
        })
        return true
      },
      leave: () => {},
      unreadable: (path, error) => {
        const relative = path.slice(prefix)
        walked.unreadable.push({ path: relative, reason: reasonOf(error) })
        if (error.operation === "list") walked.unlisted.push(pathBytes(`${relative}/`))
      }
    })
    walked.files.sort((a, b) => comparePaths(a.relative, b.relative))
    return walked
  })

const progressTracker = (totalBytes: number, totalFiles: number, options: TreeOptions) => {
  let bytes = 0
  let done = 0
  const report = () => options.onProgress?.({ bytes, totalBytes, files: done, totalFiles })
  return {
    bytes: (n: number) => {
      bytes += n
      report()
    },
    file: () => {
      done++
      report()
    }
  }
}

export interface BuiltManifest {
  readonly root: string
  readonly files: number
  readonly bytes: number
  /** Symbolic links, devices, pipes and sockets: not in the manifest. */
  readonly skipped: number
  /** Files and directories left out because they could not be read. */
  readonly unreadable: ReadonlyArray<Unreadable>
  /** The body (everything the signature covers). */
  readonly body: Uint8Array
  /** Its SHA-256, hex: what the signature is made over (with the domain). */
  readonly bodySha256: string
}

/** Hashes every regular file under `root` into a manifest body (unsigned). */
export const buildManifest = (root: string, options: TreeOptions & { readonly now?: Date } = {}) =>
  Effect.gen(function*() {
    const files = yield* Files
    const top = trimRoot(root)
    const walked = yield* walkTree(files, top)
    const progress = progressTracker(walked.files.reduce((n, f) => n + f.size, 0), walked.files.length, options)
    const hashedAll = yield* hashAll(files, walked.files, options, progress)
    const entries: Array<ManifestEntry> = []
    const unreadable = [...walked.unreadable]
    walked.files.forEach((file, i) => {
      const hashed = hashedAll[i]!
      if (Result.isFailure(hashed)) {
        unreadable.push({ path: displayPath(file.relative), reason: reasonOf(hashed.failure) })
        return
      }
      const { modifiedNs, mode, sha256 } = hashed.success
      entries.push({ path: file.relative, sha256, size: hashed.success.bytes, modifiedNs, mode })
    })
    const body = encodeBody({ root: pathBytes(top), created: (options.now ?? new Date()).toISOString(), entries })
    return {
      root: top,
      files: entries.length,
      bytes: entries.reduce((n, e) => n + e.size, 0),
      skipped: walked.skipped,
      unreadable,
      body,
      bodySha256: sha256Hex(body)
    } satisfies BuiltManifest
  })

export const sha256Hex = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex")

/** The signed manifest's bytes: the body, then its signature line. */
export const signedManifest = (body: Uint8Array, keyId: string, signature: Uint8Array): Uint8Array =>
  Buffer.concat([body, signatureLine({ keyId, signature })])

export { signedMessage }

// --- verification --------------------------------------------------------------------

export interface Changed {
  readonly path: string
  /** What differs besides the content: "size", "mtime" (both when both). */
  readonly what: ReadonlyArray<"size" | "mtime">
}

export interface MetadataChanged {
  readonly path: string
  /** The content is the same; these are not. */
  readonly what: ReadonlyArray<"mtime" | "mode">
}

export interface VerifyReport {
  readonly root: string
  /** Entries in the manifest. */
  readonly files: number
  /** Bytes hashed. */
  readonly bytes: number
  /** Whether every file in the manifest is there, readable, with the content it had. */
  readonly intact: boolean
  readonly matched: number
  /** Content and its size or mtime changed: an ordinary edit. */
  readonly changed: ReadonlyArray<Changed>
  /** Content changed while size and mtime did not: nothing wrote it through the filesystem. */
  readonly bitRot: ReadonlyArray<string>
  readonly missing: ReadonlyArray<string>
  /** Regular files not in the manifest. */
  readonly added: ReadonlyArray<string>
  readonly unreadable: ReadonlyArray<Unreadable>
  /** Same content, other mtime or mode. */
  readonly metadataChanged: ReadonlyArray<MetadataChanged>
}

const under = (path: Uint8Array, directory: Uint8Array) =>
  path.byteLength > directory.byteLength && comparePaths(path.subarray(0, directory.byteLength), directory) === 0

/**
 * Checks the tree at `root` (default: the manifest's own root) against a
 * manifest: every entry is re-hashed; files the manifest does not list are
 * `added` (not hashed). Fails only when the root cannot be walked.
 */
export const verifyTree = (manifest: ParsedManifest, root: string | undefined, options: TreeOptions = {}) =>
  Effect.gen(function*() {
    const files = yield* Files
    const top = trimRoot(root ?? new TextDecoder().decode(manifest.root))
    const walked = yield* walkTree(files, top)
    const present = new Map(walked.files.map((file) => [encodePath(file.relative), file]))
    const progress = progressTracker(manifest.entries.reduce((n, e) => n + e.size, 0), manifest.entries.length, options)

    const changed: Array<Changed> = []
    const bitRot: Array<string> = []
    const missing: Array<string> = []
    const unreadable: Array<Unreadable> = []
    const metadataChanged: Array<MetadataChanged> = []
    let matched = 0
    let bytes = 0
    const listed = new Set<string>()

    const listedPresent = manifest.entries.flatMap((entry) => {
      const file = present.get(encodePath(entry.path))
      return file === undefined ? [] : [file]
    })
    const hashedPresent = yield* hashAll(files, listedPresent, options, progress)
    const outcomeOf = new Map(listedPresent.map((file, i) => [file.path, hashedPresent[i]!]))
    const outcomes = manifest.entries.map((entry) => {
      const file = present.get(encodePath(entry.path))
      if (file === undefined) progress.file()
      return file === undefined ? undefined : outcomeOf.get(file.path)
    })

    manifest.entries.forEach((entry, i) => {
      const key = encodePath(entry.path)
      listed.add(key)
      const shown = displayPath(entry.path)
      const hashed = outcomes[i]
      if (hashed === undefined) {
        const hidden = walked.unlisted.find((dir) => under(entry.path, dir))
        if (hidden === undefined) missing.push(shown)
        else unreadable.push({ path: shown, reason: `its directory ${displayPath(hidden.subarray(0, -1))} could not be listed` })
        return
      }
      if (Result.isFailure(hashed)) {
        unreadable.push({ path: shown, reason: reasonOf(hashed.failure) })
        return
      }
      const { modifiedNs, mode, sha256 } = hashed.success
      bytes += hashed.success.bytes
      const sizeDiffers = hashed.success.bytes !== entry.size
      const mtimeDiffers = modifiedNs !== entry.modifiedNs
      const modeDiffers = mode !== entry.mode
      if (sha256 !== entry.sha256) {
        if (!sizeDiffers && !mtimeDiffers) bitRot.push(shown)
        else changed.push({ path: shown, what: [...(sizeDiffers ? ["size" as const] : []), ...(mtimeDiffers ? ["mtime" as const] : [])] })
        return
      }
      matched++
      if (mtimeDiffers || modeDiffers) {
        metadataChanged.push({ path: shown, what: [...(mtimeDiffers ? ["mtime" as const] : []), ...(modeDiffers ? ["mode" as const] : [])] })
      }
    })
    const added = walked.files.filter((file) => !listed.has(encodePath(file.relative))).map((file) => displayPath(file.relative))
    for (const entry of walked.unreadable) {
      // Directories that could not be listed are reported through their entries above; other unreadable entries here.
      if (!unreadable.some((u) => u.path === entry.path)) unreadable.push(entry)
    }
    return {
      root: top,
      files: manifest.entries.length,
      bytes,
      intact: changed.length === 0 && bitRot.length === 0 && missing.length === 0 && unreadable.length === 0,
      matched,
      changed,
      bitRot,
      missing,
      added,
      unreadable,
      metadataChanged
    } satisfies VerifyReport
  })

// --- signatures ----------------------------------------------------------------------

/** Why a manifest's signature does not hold for the signing key `keyId`/`publicKey`, or undefined when it does. */
export const signatureProblem = (
  manifest: ParsedManifest,
  signingKey: { readonly id: string; readonly publicKey: Uint8Array }
): string | undefined => {
  if (manifest.signature === undefined) return "it has no signature line, so it may have been written or changed by anyone"
  if (manifest.signature.keyId !== signingKey.id) {
    return `it is signed by key ${manifest.signature.keyId}, not by this daemon's signing key ${signingKey.id}`
  }
  const message = signedMessage(sha256Hex(manifest.bodyBytes))
  return verifySignature({ publicKey: signingKey.publicKey, message, signature: manifest.signature.signature })
    ? undefined
    : "the signature does not match its content: the manifest was changed after it was signed"
}
