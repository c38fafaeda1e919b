/**
 * Port: the files the daemon and its commands keep and read — durable
 * writes, streamed reads, append-only logs, directory listings and a bounded
 * usage walk — with one error type for every way the filesystem refuses.
 *
 * Every durable write goes through one of two doors: `writeAtomic` (a whole
 * buffer) or `openAtomic` (a stream). Both write a temporary file in the
 * target's directory (named by `temporaryName`), fsync it, rename it into
 * place and fsync the directory; a reader sees the old file or the new one,
 * never a mix, and a failed directory fsync fails the write. Without
 * `replace`, an existing target is refused, and the refusal is atomic (the
 * file is linked into place, which fails if the name exists).
 *
 * Paths are plain strings: the daemon's own files. Paths a caller names go
 * through CallerFiles.ts, which confines them behind this same interface.
 */
import { join } from "node:path"
import { Context, Effect, Schema, type Scope } from "effect"

/** Why the filesystem refused, from the errno (or from the port's own limits). */
export const FILE_ERROR_REASONS = [
  "NotFound",
  "Exists",
  "PermissionDenied",
  "NoSpace",
  "ReadOnly",
  "IsDirectory",
  "NotDirectory",
  "SymbolicLink",
  "TooLarge",
  "Closed",
  "Other"
] as const
export type FileErrorReason = (typeof FILE_ERROR_REASONS)[number]

const REASON_TEXT: Readonly<Record<FileErrorReason, string>> = {
  NotFound: "no such file or directory",
  Exists: "it already exists",
  PermissionDenied: "permission denied",
  NoSpace: "no space left on the device",
  ReadOnly: "the filesystem is read-only",
  IsDirectory: "it is a directory",
  NotDirectory: "not a directory",
  SymbolicLink: "it is a symbolic link, which is not followed here",
  TooLarge: "it is too large",
  Closed: "it is closed",
  Other: "the operation failed"
}

/** A file operation failed. `path` may also name a stream ("standard output"). */
export class FileError extends Schema.TaggedError<FileError>()("FileError", {
  reason: Schema.Literals(FILE_ERROR_REASONS),
  /** What was being done, in words that follow "cannot": "read", "replace state file", "append to journal". */
  operation: Schema.String,
  path: Schema.String,
  /** The errno name the OS gave, when it gave one ("ENOSPC"). */
  code: Schema.optionalKey(Schema.String),
  /** Words that say more than the reason does ("the journal is closed", the OS's text of an unusual errno). */
  detail: Schema.optionalKey(Schema.String)
}) {
  override get message() {
    return `cannot ${this.operation} ${this.path}: ${this.detail ?? REASON_TEXT[this.reason]}`
  }
}

const REASON_OF_ERRNO: Readonly<Record<string, FileErrorReason>> = {
  ENOENT: "NotFound",
  EEXIST: "Exists",
  ENOTEMPTY: "Exists",
  EACCES: "PermissionDenied",
  EPERM: "PermissionDenied",
  ENOSPC: "NoSpace",
  EDQUOT: "NoSpace",
  EROFS: "ReadOnly",
  EISDIR: "IsDirectory",
  ENOTDIR: "NotDirectory",
  ELOOP: "SymbolicLink",
  EFBIG: "TooLarge",
  EPIPE: "Closed",
  EBADF: "Closed"
}

/** The FileError for whatever an operation threw or rejected with (an errno exception, usually). */
export const fileErrorFrom = (operation: string, path: string, cause: unknown): FileError => {
  const code = (cause as { readonly code?: unknown } | undefined)?.code
  const reason = typeof code === "string" ? REASON_OF_ERRNO[code] ?? "Other" : "Other"
  const text = cause instanceof Error ? cause.message : String(cause)
  return new FileError({
    reason,
    operation,
    path,
    ...(typeof code === "string" ? { code } : {}),
    ...(reason === "Other" ? { detail: text } : {})
  })
}

/** Where streamed output goes when it is not a file: standard output, a socket, a test's buffer. */
export type Writer = (bytes: Uint8Array) => Effect.Effect<void, FileError>

/** A promise-returning write as a Writer; a rejection is a FileError naming `name`. */
export const writerFrom = (name: string, write: (bytes: Uint8Array) => PromiseLike<void>): Writer => (bytes) =>
  Effect.tryPromise({ try: () => write(bytes), catch: (cause) => fileErrorFrom("write", name, cause) })

// --- temporary files ---------------------------------------------------------

/**
 * The one shape of every temporary file: `<target>.tmp-<pid>-<12 hex digits>`,
 * in the target's directory. A crash leaves such files behind; only they are
 * ever swept (`removeStaleTemporaries`), never a file a user named.
 */
const TEMPORARY = /^(.+)\.tmp-(\d+)-([0-9a-f]{12})$/

export const temporaryName = (target: string, pid: number, unique: string): string => `${target}.tmp-${pid}-${unique}`

/** The name a temporary file stands in for, or undefined when `name` is not a temporary file's. */
export const targetOfTemporary = (name: string): string | undefined => TEMPORARY.exec(name)?.[1]

/** The target and the writer's process id of a temporary file's name, or undefined when it is not one. */
export const partsOfTemporary = (name: string): { readonly target: string; readonly pid: number } | undefined => {
  const match = TEMPORARY.exec(name)
  return match === null ? undefined : { target: match[1]!, pid: Number(match[2]) }
}

// --- what the port hands out -------------------------------------------------

export type FileType = "file" | "directory" | "symlink" | "fifo" | "socket" | "device"

/** What lstat (or fstat) says, in the units callers use. */
export interface FileInfo {
  readonly type: FileType
  readonly size: number
  /** Bytes the file occupies on disk (st_blocks × 512). */
  readonly allocated: number
  /** Permission bits with setuid, setgid and sticky (st_mode & 0o7777). */
  readonly mode: number
  readonly uid: number
  readonly gid: number
  readonly modifiedNs: bigint
  /** The filesystem the file is on, and its number there: together they name the file whatever its path. */
  readonly device: bigint
  readonly inode: bigint
  readonly links: number
}

/** A file open for reading, closed with its scope. */
export interface FileReader {
  readonly path: string
  /** fstat of the open file: the file the bytes come from, not whatever the path names meanwhile. */
  readonly info: FileInfo
  /** Fills `buffer` from where the last read stopped; fewer bytes than its length only at the end of the file. */
  readonly read: (buffer: Uint8Array) => Effect.Effect<number, FileError>
  /** Fills `buffer` from byte `position`; fewer bytes than its length only at the end of the file. */
  readonly readAt: (buffer: Uint8Array, position: number) => Effect.Effect<number, FileError>
}

export interface AtomicOptions {
  /** Replace an existing file; without it an existing file fails the write with reason Exists. */
  readonly replace?: boolean
  /** Permission bits of the new file before the umask; default 0o600. */
  readonly mode?: number
}

export interface CommitOptions {
  /** Put the file at this path (in the same directory) instead of the one it was opened for. */
  readonly as?: string
  /** Permission bits set on the file before it appears (not subject to the umask). */
  readonly mode?: number
  /** Modification (and access) time set on the file before it appears. */
  readonly modifiedNs?: bigint
  /**
   * False: skip the file and directory fsyncs. The file still appears whole
   * or not at all to readers, but a crash may lose it or leave it empty (as
   * with cp, tar, restic restore). Default true.
   */
  readonly durable?: boolean
}

/**
 * A file being written under a temporary name. It appears at its path only by
 * `commit` (fsync, rename, directory fsync); if the scope closes first, the
 * temporary file is removed and the path is left as it was. A commit whose
 * directory fsync fails has put the file in place but fails: it may not
 * survive a crash.
 */
export interface AtomicOutput {
  readonly path: string
  /** Writes every byte of `bytes` after what was written before. */
  readonly write: (bytes: Uint8Array) => Effect.Effect<void, FileError>
  readonly commit: (options?: CommitOptions) => Effect.Effect<void, FileError>
}

/** A file that only grows at its end, each append durable (fdatasync) before it succeeds: a journal, a ledger. */
export interface AppendFile {
  readonly path: string
  /** The open created the file (and made its directory entry durable). */
  readonly created: boolean
  /** Its length when opened. */
  readonly size: number
  /** Writes every byte at the end, then fdatasync. A failure may leave part of `bytes` behind: truncate back. */
  readonly append: (bytes: Uint8Array) => Effect.Effect<void, FileError>
  /** Cuts the file to `length` bytes, durably. */
  readonly truncate: (length: number) => Effect.Effect<void, FileError>
  readonly readAt: (buffer: Uint8Array, position: number) => Effect.Effect<number, FileError>
}

export interface AppendOptions {
  /** Create the file (mode 0600 unless `mode`) if it is missing; default true. */
  readonly create?: boolean
  readonly mode?: number
}

export interface WalkEntry {
  readonly path: string
  readonly name: string
  /** lstat of the entry: a symbolic link is reported, never followed. */
  readonly info: FileInfo
  /** Another name of a file the walk already reported (a hard link): count its bytes once. */
  readonly seenBefore: boolean
  /** A directory on another filesystem than the root's, which the walk does not enter unless told to. */
  readonly otherFilesystem: boolean
}

export interface WalkVisitor {
  /** Each entry below the root, parents before their children; return false to stop the walk there. */
  readonly entry: (entry: WalkEntry) => boolean
  /** After the last entry under `dir` (or when the walk stops inside it); the root comes last. */
  readonly leave: (dir: string) => void
  /** An entry that could not be read (permissions, gone meanwhile): the walk goes on without it. */
  readonly unreadable: (path: string, error: FileError) => void
  /**
   * Whether to go into a directory the walk would enter (after `entry`
   * accepted it); default yes. A directory not entered gets no `leave`
   * from the walk.
   */
  readonly enter?: (entry: WalkEntry) => boolean
}

export interface WalkOptions {
  /** Enter directories on other filesystems than the root's. */
  readonly crossFilesystems?: boolean
}

export interface FilesShape {
  /** The whole file; reason TooLarge (and nothing read) if it is larger than `maxBytes`. */
  readonly readFile: (path: string, options?: { readonly maxBytes?: number }) => Effect.Effect<Uint8Array, FileError>
  /** Replaces (or, without `replace`, creates) `path` with `pieces`, atomically and durably. */
  readonly writeAtomic: (
    path: string,
    pieces: Uint8Array | ReadonlyArray<Uint8Array>,
    options?: AtomicOptions
  ) => Effect.Effect<void, FileError>
  /** `path` for reading, following symbolic links unless `followSymlinks` is false (then reason SymbolicLink). */
  readonly openRead: (
    path: string,
    options?: { readonly followSymlinks?: boolean }
  ) => Effect.Effect<FileReader, FileError, Scope.Scope>
  /** A streamed atomic write of `path`; an existing file is refused at once (and again at commit) unless `replace`. */
  readonly openAtomic: (path: string, options?: AtomicOptions) => Effect.Effect<AtomicOutput, FileError, Scope.Scope>
  readonly openAppend: (path: string, options?: AppendOptions) => Effect.Effect<AppendFile, FileError, Scope.Scope>
  /** lstat; with `followSymlinks`, stat. */
  readonly stat: (path: string, options?: { readonly followSymlinks?: boolean }) => Effect.Effect<FileInfo, FileError>
  /** The names in `dir`, sorted. */
  readonly list: (dir: string) => Effect.Effect<ReadonlyArray<string>, FileError>
  /**
   * Creates `dir` (mode before the umask, default 0o777), with its parents
   * when `recursive` (an existing directory is fine then), and makes each new
   * directory's entry durable unless `durable` is false (writeback is then
   * left to the kernel, as for a restore's files).
   */
  readonly makeDirectory: (
    dir: string,
    options?: { readonly mode?: number; readonly recursive?: boolean; readonly durable?: boolean }
  ) => Effect.Effect<void, FileError>
  /** Removes a file, symbolic link or empty directory; one that does not exist is fine. */
  readonly remove: (path: string) => Effect.Effect<void, FileError>
  /** Makes the creations, renames and removals in `dir` durable. */
  readonly syncDirectory: (dir: string) => Effect.Effect<void, FileError>
  /** Sets permission bits and the modification time; a symbolic link's own time with `followSymlinks: false` (its mode is left). */
  readonly setAttributes: (
    path: string,
    attributes: { readonly mode?: number; readonly modifiedNs?: bigint; readonly followSymlinks?: boolean }
  ) => Effect.Effect<void, FileError>
  readonly symlink: (target: string, path: string) => Effect.Effect<void, FileError>
  readonly readLink: (path: string) => Effect.Effect<string, FileError>
  /**
   * Walks the tree under the directory `root` depth first, in the order each
   * directory lists its entries, one directory at a time (never recursion, so
   * depth cannot blow the stack), with lstat: never following symbolic links,
   * staying on the root's filesystem unless told otherwise, and telling which
   * entries are further names of a file already seen. The visitor bounds it.
   * Fails only when the root cannot be walked.
   */
  readonly walk: (root: string, visitor: WalkVisitor, options?: WalkOptions) => Effect.Effect<void, FileError>
}

export class Files extends Context.Service<Files, FilesShape>()("sigmavault/adapters/fs/Files") {}

// --- compositions every implementation shares ---------------------------------

/** `writeAtomic` as every implementation builds it: a streamed atomic write of the pieces. */
export const writeAtomicVia = (openAtomic: FilesShape["openAtomic"]): FilesShape["writeAtomic"] => (file, pieces, options) =>
  Effect.scoped(Effect.gen(function*() {
    const output = yield* openAtomic(file, options)
    for (const piece of pieces instanceof Uint8Array ? [pieces] : pieces) yield* output.write(piece)
    yield* output.commit()
  }))

/** `effect`'s value, or undefined when it failed because the path does not exist. */
export const unlessMissing = <A, R>(effect: Effect.Effect<A, FileError, R>): Effect.Effect<A | undefined, FileError, R> =>
  Effect.catchIf(effect, (error) => error.reason === "NotFound", () => Effect.undefined)

/** Whether anything (a dangling symbolic link included) is at `path`. */
export const exists = (files: FilesShape, path: string): Effect.Effect<boolean, FileError> =>
  Effect.map(unlessMissing(files.stat(path)), (info) => info !== undefined)

/** The names in `dir`, or none when it does not exist. */
export const listIfPresent = (files: FilesShape, dir: string): Effect.Effect<ReadonlyArray<string>, FileError> =>
  Effect.map(unlessMissing(files.list(dir)), (names) => names ?? [])

/**
 * Deletes the temporary files a crashed writer left in `dir` (of `target`
 * only, when given: a name in `dir`) and returns their paths. Only the
 * owner of the directory may call it, before its own writes start: it cannot
 * tell a dead writer's temporary file from a live one's.
 */
export const removeStaleTemporaries = (
  files: FilesShape,
  dir: string,
  target?: string
): Effect.Effect<ReadonlyArray<string>, FileError> =>
  Effect.gen(function*() {
    const stale = (yield* listIfPresent(files, dir))
      .filter((name) => {
        const of = targetOfTemporary(name)
        return of !== undefined && (target === undefined || of === target)
      })
      .map((name) => join(dir, name))
    yield* Effect.forEach(stale, files.remove, { discard: true })
    return stale
  })
