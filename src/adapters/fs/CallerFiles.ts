/**
 * Port: files a caller names, used with the caller's rights inside the file
 * roots. An agent that reads or writes a path from a message (CIPHER,
 * TENSOR, ATLAS) asks for the caller's view of the filesystem and hands that
 * to its library in place of the daemon's own Files: the daemon runs as
 * root, its callers do not, and a path in a message must not become a way
 * to read /etc/shadow or write into /etc.
 *
 * The rules, whatever the implementation:
 * - a path must be absolute and lie inside one of the file roots
 *   (`file_roots`; by default /srv and every mounted ZFS dataset), judged
 *   first on the path as written (a path outside is refused without being
 *   looked at, so a refusal says nothing about what exists there) and again
 *   on the file actually opened (a symbolic link cannot lead out);
 * - some places are never file-job paths, inside a root or not: the
 *   daemon's state and runtime directories, /etc, /root, /proc, /sys, /dev,
 *   /boot, /run;
 * - a file is opened, and an output created and put in place, as the caller
 *   (its uid, groups and umask): what the caller could not do itself, the
 *   job cannot do for it; an output belongs to the caller;
 * - inputs are regular files only (no devices, pipes or sockets), and no
 *   larger than `file_job_max_bytes`; an output stops at that size too.
 */
import * as path from "node:path"
import { Context, Effect, type Result, type Scope } from "effect"
import type { Caller } from "../../runtime/Caller.ts"
import { FileError, type FileInfo, type FilesShape } from "./Files.ts"

/** A regular file's SHA-256 as read for a caller, with what fstat said of it when it was opened. */
export interface HashedFile {
  readonly sha256: string
  readonly bytes: number
  readonly modifiedNs: bigint
  readonly mode: number
}

/**
 * Hashes regular files for one caller, with the caller's rights, inside the
 * file roots (the same rules as `openRead`). Each file's outcome is its own:
 * one unreadable file does not fail the others. `size` is what a walk saw,
 * a hint for how long the batch may take.
 */
export type CallerHasher = (
  files: ReadonlyArray<{ readonly path: string; readonly size: number }>
) => Effect.Effect<ReadonlyArray<Result.Result<HashedFile, FileError>>>

export interface CallerFilesShape {
  /**
   * The filesystem as `caller` may use it for one job (the scope): `openRead`,
   * `openAtomic` (and `writeAtomic`) and `walk`, confined and with the
   * caller's rights; every other operation is refused.
   */
  readonly forCaller: (caller: Caller) => Effect.Effect<FilesShape, never, Scope.Scope>
  /**
   * An empty temporary file made by `caller` in `directory` (named like a
   * temporary output of `directory/stem`, confined and journalled like one),
   * for a tool the daemon runs on it (VELOCITY's fio); never put in place:
   * removed when the scope closes, whatever the outcome, and swept after a
   * crash like any temporary output.
   */
  readonly scratch: (caller: Caller, directory: string, stem: string) => Effect.Effect<ScratchFile, FileError, Scope.Scope>
  /** Hashing of many files for `caller` for one job (the scope), cheaper per file than `openRead` and a read loop. */
  readonly hasherFor: (caller: Caller) => Effect.Effect<CallerHasher, never, Scope.Scope>
}

export interface ScratchFile {
  /** Its name in the directory: `directory/stem.tmp-PID-HEX`. */
  readonly path: string
  /**
   * A path that opens exactly this file for the daemon's own tools, whatever
   * becomes of its name meanwhile (the helper's descriptor, /proc/PID/fd/N):
   * a tool running as root never follows a name the caller could swap.
   */
  readonly toolPath: string
}

export class CallerFiles extends Context.Service<CallerFiles, CallerFilesShape>()("sigmavault/adapters/fs/CallerFiles") {}

/** Never a file-job path, whatever the roots say (the daemon adds its own state and runtime directories). */
export const ALWAYS_FORBIDDEN: ReadonlyArray<string> = ["/etc", "/root", "/proc", "/sys", "/dev", "/boot", "/run"]

/** Whether `file` is `dir` or lies below it (both normalised, absolute). */
export const isWithin = (file: string, dir: string): boolean =>
  file === dir || file.startsWith(dir.endsWith("/") ? dir : `${dir}/`)

export interface Confinement {
  readonly roots: ReadonlyArray<string>
  readonly forbidden: ReadonlyArray<string>
}

/**
 * Undefined when `file` (absolute; as written or as opened) is a path a job
 * may use under `confinement`; else why not, in words that follow the path.
 */
export const confinementProblem = (file: string, confinement: Confinement): string | undefined => {
  if (!path.isAbsolute(file)) return "the path must be absolute"
  const normal = path.normalize(file)
  const forbidden = confinement.forbidden.find((dir) => isWithin(normal, dir))
  if (forbidden !== undefined) return `file jobs never use ${forbidden}`
  if (confinement.roots.some((root) => isWithin(normal, root))) return undefined
  return confinement.roots.length === 0
    ? "no file roots are configured (file_roots), so no path may be used"
    : `it is outside the file roots (${confinement.roots.join(", ")})`
}

export const outsideRoots = (operation: string, file: string, detail: string): FileError =>
  new FileError({ reason: "PermissionDenied", operation, path: file, detail })

/** An operation a caller's job does not get. */
export const notForCallers = (operation: string, file: string): FileError =>
  outsideRoots(operation, file, `a caller's file job may only read, write and scan files; '${operation}' is not among them`)

export const tooLarge = (operation: string, file: string, size: number, limit: number): FileError =>
  new FileError({ reason: "TooLarge", operation, path: file, detail: `it has ${size} bytes, more than file_job_max_bytes (${limit})` })

/**
 * Whether the mode bits let `caller` search (x) and read (r) the directory
 * `info`: root may; otherwise the owner, group or other bits that apply.
 * A walk uses it to stay out of directories the caller could not list.
 */
export const mayList = (caller: Caller, info: FileInfo): boolean => {
  if (caller.uid === 0) return true
  const bits = caller.uid === info.uid
    ? (info.mode >> 6) & 7
    : caller.gid === info.gid || caller.groups.includes(info.gid)
    ? (info.mode >> 3) & 7
    : info.mode & 7
  return (bits & 5) === 5
}

/** The operations a caller's job does not get, refused; the confined ones come from the implementation. */
export const refusingRest = (
  confined: Pick<FilesShape, "openRead" | "openAtomic" | "writeAtomic" | "walk">
): FilesShape => ({
  ...confined,
  readFile: (file) => Effect.fail(notForCallers("read", file)),
  openAppend: (file) => Effect.fail(notForCallers("append to", file)),
  stat: (file) => Effect.fail(notForCallers("inspect", file)),
  list: (dir) => Effect.fail(notForCallers("list", dir)),
  makeDirectory: (dir) => Effect.fail(notForCallers("create directory", dir)),
  remove: (file) => Effect.fail(notForCallers("remove", file)),
  syncDirectory: (dir) => Effect.fail(notForCallers("sync directory", dir)),
  setAttributes: (file) => Effect.fail(notForCallers("set the attributes of", file)),
  symlink: (_target, file) => Effect.fail(notForCallers("create symbolic link", file)),
  readLink: (file) => Effect.fail(notForCallers("read symbolic link", file))
})
