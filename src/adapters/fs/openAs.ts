/**
 * The file helper: a short-lived child of the daemon that takes on a
 * caller's identity (uid, gid, supplementary groups, umask) and opens and
 * names files as that caller, so the kernel applies the caller's rights —
 * permission bits, ACLs, read-only mounts, everything — and not the
 * daemon's. The daemon then reopens the helper's descriptor through
 * /proc/PID/fd/N and does the reading, writing and computing itself.
 *
 * It is `sigmavault __open-as UID GID GROUPS UMASK`; the daemon talks to it
 * with one JSON object per line on its standard input and output
 * (CallerFilesLive.ts is the other side). It creates only temporary files
 * (named like every temporary file, Files.ts), publishes one only when told
 * to, and removes those it did not publish when its input closes — when the
 * job ends, fails, or the daemon dies — or on SIGTERM, SIGINT and SIGHUP.
 * At the daemon's start it also sweeps, as the caller, the temporary files
 * the daemon's journal says a crash left (`sweep`): only a temporary file's
 * name, reached without following any symbolic link, and only the very file
 * the job made (device and inode).
 */
import { createHash, randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { createInterface } from "node:readline"
import { targetOfTemporary, temporaryName } from "./Files.ts"
import { parseIdentity, takeIdentity } from "./takeIdentity.ts"

export type HelperRequest =
  | { readonly op: "read"; readonly path: string }
  | { readonly op: "directory"; readonly path: string }
  | { readonly op: "create"; readonly path: string; readonly mode: number }
  | { readonly op: "commit"; readonly temporary: string; readonly path: string; readonly replace: boolean }
  | { readonly op: "discard"; readonly temporary: string }
  | { readonly op: "sweep"; readonly path: string; readonly device: string; readonly inode: string }
  | { readonly op: "hash"; readonly paths: ReadonlyArray<string>; readonly maxBytes: number }

/** One file hashed by the helper (as the caller), or why it could not be. */
export type HashedReply =
  | {
    readonly ok: true
    readonly sha256: string
    readonly bytes: number
    /** Where the open descriptor really is, for the daemon to check against the file roots. */
    readonly real: string
    readonly mtimeNs: string
    readonly mode: number
  }
  | { readonly ok: false; readonly code: string; readonly message: string }

/** An open descriptor of the helper's, for the daemon to reopen. */
export interface Opened {
  readonly fd: number
  readonly device: string
  readonly inode: string
  readonly size: number
  /** The temporary file a `create` made. */
  readonly temporary?: string
}

/** What a sweep found: the file removed, or nothing there any more. */
export type Swept = "removed" | "gone"

export type HelperReply =
  | { readonly ok: true; readonly opened?: Opened; readonly swept?: Swept; readonly hashed?: ReadonlyArray<HashedReply> }
  | { readonly ok: false; readonly code: string; readonly message: string }

type Served = Omit<Extract<HelperReply, { ok: true }>, "ok">

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY, O_DIRECTORY } = fs.constants

const KIND: ReadonlyArray<readonly [(stats: fs.BigIntStats) => boolean, string]> = [
  [(s) => s.isDirectory(), "a directory"],
  [(s) => s.isFIFO(), "a named pipe"],
  [(s) => s.isSocket(), "a socket"],
  [(s) => s.isCharacterDevice(), "a character device"],
  [(s) => s.isBlockDevice(), "a block device"]
]

const kindOf = (stats: fs.BigIntStats) => KIND.find(([is]) => is(stats))?.[1] ?? "not a regular file"

class Refusal extends Error {
  constructor(readonly code: string, message: string) {
    super(message)
  }
}

const openedOf = (fd: number, stats: fs.BigIntStats, temporary?: string): Opened => ({
  fd,
  device: String(stats.dev),
  inode: String(stats.ino),
  size: Number(stats.size),
  ...(temporary === undefined ? {} : { temporary })
})

/** Unlinks every temporary file this helper made and did not publish. */
const created = new Set<string>()

const syncDirectoryOf = (file: string) => {
  const fd = fs.openSync(path.dirname(file), O_RDONLY | O_DIRECTORY)
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

const NO_HARD_LINKS = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS"])

/** Linux's O_PATH, which fs.constants lacks: a descriptor that only names a place (searching through it needs x, not r). */
const O_PATH = 0o10000000

/**
 * The directory `dir` (absolute, normal), opened one name at a time from /
 * through /proc/self/fd, none followed if it is a symbolic link: a link
 * swapped into the path cannot lead the sweep elsewhere. Undefined when a
 * name on the way is missing.
 */
const openDirectoryStrictly = (dir: string): number | undefined => {
  let fd = fs.openSync("/", O_PATH | O_DIRECTORY)
  try {
    for (const name of dir.split("/").filter((part) => part !== "")) {
      const next = fs.openSync(`/proc/self/fd/${fd}/${name}`, O_PATH | O_DIRECTORY | O_NOFOLLOW)
      fs.closeSync(fd)
      fd = next
    }
    return fd
  } catch (error) {
    fs.closeSync(fd)
    const code = (error as NodeJS.ErrnoException).code
    if (code === "ENOENT") return undefined
    if (code === "ENOTDIR" || code === "ELOOP") throw new Refusal("ELOOP", "a directory on its path is now a symbolic link or not a directory")
    throw error
  }
}

/** Removes the temporary file `file` if it is still the one a job made; never anything else. */
const sweep = (file: string, device: string, inode: string): Swept => {
  const name = path.basename(file)
  if (!path.isAbsolute(file) || path.normalize(file) !== file || targetOfTemporary(name) === undefined) {
    throw new Refusal("EINVAL", "only a temporary file, named by its absolute path, is swept")
  }
  const dir = openDirectoryStrictly(path.dirname(file))
  if (dir === undefined) return "gone"
  try {
    const at = `/proc/self/fd/${dir}/${name}`
    let stats: fs.BigIntStats
    try {
      stats = fs.lstatSync(at, { bigint: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return "gone"
      throw error
    }
    if (!stats.isFile() || String(stats.dev) !== device || String(stats.ino) !== inode) {
      throw new Refusal("ESTALE", "it is no longer the file the job made")
    }
    fs.unlinkSync(at)
    // The removal survives a crash once the directory is synced; a directory the caller may not read is left unsynced.
    try {
      const readable = fs.openSync(`/proc/self/fd/${dir}`, O_RDONLY | O_DIRECTORY)
      try {
        fs.fsyncSync(readable)
      } finally {
        fs.closeSync(readable)
      }
    } catch {
      // Removed all the same.
    }
    return "removed"
  } finally {
    fs.closeSync(dir)
  }
}

const serve = (request: HelperRequest): Served => {
  switch (request.op) {
    case "read": {
      // O_NONBLOCK: opening a named pipe must not wait for a writer; O_NOFOLLOW: the last name is not a link.
      const fd = fs.openSync(request.path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)
      const stats = fs.fstatSync(fd, { bigint: true })
      if (!stats.isFile()) {
        fs.closeSync(fd)
        throw new Refusal("ENOTREG", `it is ${kindOf(stats)}; only regular files are read here`)
      }
      return { opened: openedOf(fd, stats) }
    }
    case "directory": {
      // A symbolic link opened with O_NOFOLLOW | O_DIRECTORY says ENOTDIR: say what it is.
      if (isLink(request.path)) throw new Refusal("ELOOP", "it is a symbolic link")
      const fd = fs.openSync(request.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
      // Opening is not listing: the caller must be able to read the directory too.
      fs.readdirSync(`/proc/self/fd/${fd}`)
      return { opened: openedOf(fd, fs.fstatSync(fd, { bigint: true })) }
    }
    case "create": {
      if (fs.existsSync(request.path) || isLink(request.path)) throw new Refusal("EEXIST", "it already exists")
      const temporary = temporaryName(request.path, process.pid, randomBytes(6).toString("hex"))
      const fd = fs.openSync(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY, request.mode)
      created.add(temporary)
      return { opened: openedOf(fd, fs.fstatSync(fd, { bigint: true }), temporary) }
    }
    case "commit": {
      if (!created.has(request.temporary)) throw new Refusal("EINVAL", "not a temporary file of this job")
      if (request.replace) fs.renameSync(request.temporary, request.path)
      else {
        try {
          fs.linkSync(request.temporary, request.path)
          fs.unlinkSync(request.temporary)
        } catch (error) {
          if (!NO_HARD_LINKS.has((error as NodeJS.ErrnoException).code ?? "")) throw error
          // Without hard links, a check and a rename: a file created in between is replaced.
          if (fs.existsSync(request.path) || isLink(request.path)) throw new Refusal("EEXIST", "it already exists")
          fs.renameSync(request.temporary, request.path)
        }
      }
      created.delete(request.temporary)
      syncDirectoryOf(request.path)
      return {}
    }
    case "discard": {
      if (created.delete(request.temporary)) fs.rmSync(request.temporary, { force: true })
      return {}
    }
    case "sweep":
      return { swept: sweep(request.path, request.device, request.inode) }
    case "hash":
      return { hashed: request.paths.map((file) => hashOne(file, request.maxBytes)) }
  }
}

const HASH_BUFFER = Buffer.allocUnsafe(1024 * 1024)

/**
 * The SHA-256 of a regular file, opened and read here, as the caller, with
 * blocking reads: the helper is its own process, so waiting on the disk
 * stalls nothing of the daemon's, and a small file costs a few system calls
 * instead of a round trip per call.
 */
const hashOne = (file: string, maxBytes: number): HashedReply => {
  let fd: number | undefined
  try {
    fd = fs.openSync(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)
    const stats = fs.fstatSync(fd, { bigint: true })
    if (!stats.isFile()) throw new Refusal("ENOTREG", `it is ${kindOf(stats)}; only regular files are read here`)
    if (stats.size > BigInt(maxBytes)) throw new Refusal("EFBIG", `it has ${stats.size} bytes, more than file_job_max_bytes (${maxBytes})`)
    const real = fs.readlinkSync(`/proc/self/fd/${fd}`)
    const hash = createHash("sha256")
    let bytes = 0
    for (;;) {
      const n = fs.readSync(fd, HASH_BUFFER, 0, HASH_BUFFER.length, null)
      if (n === 0) break
      hash.update(n === HASH_BUFFER.length ? HASH_BUFFER : HASH_BUFFER.subarray(0, n))
      bytes += n
    }
    return { ok: true, sha256: hash.digest("hex"), bytes, real, mtimeNs: String(stats.mtimeNs), mode: Number(stats.mode & 0o7777n) }
  } catch (error) {
    const code = error instanceof Refusal ? error.code : (error as NodeJS.ErrnoException).code ?? "EIO"
    return { ok: false, code, message: error instanceof Error ? error.message : String(error) }
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}

const isLink = (file: string) => {
  try {
    return fs.lstatSync(file).isSymbolicLink()
  } catch {
    return false
  }
}

const replyTo = (line: string): HelperReply => {
  try {
    return { ok: true, ...serve(JSON.parse(line) as HelperRequest) }
  } catch (error) {
    const code = error instanceof Refusal ? error.code : (error as NodeJS.ErrnoException).code ?? "EIO"
    return { ok: false, code, message: error instanceof Error ? error.message : String(error) }
  }
}

const cleanUp = () => {
  for (const temporary of created) fs.rmSync(temporary, { force: true })
  created.clear()
}

/** The helper's main: take on the identity, then answer requests until the input closes. */
export const runOpenAs = (args: ReadonlyArray<string>): Promise<number> => {
  const identity = parseIdentity(args)
  if (identity === undefined) {
    process.stderr.write("sigmavault __open-as: expected UID GID GROUPS UMASK (the daemon's file helper; not for use by hand)\n")
    return Promise.resolve(2)
  }
  const refused = takeIdentity(identity)
  if (refused !== undefined) {
    process.stdout.write(`${JSON.stringify({ ok: false, code: "EPERM", message: refused })}\n`)
    return Promise.resolve(1)
  }
  process.stdout.write(`${JSON.stringify({ ok: true })}\n`)
  return new Promise((resolve) => {
    const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
    lines.on("line", (line) => process.stdout.write(`${JSON.stringify(replyTo(line))}\n`))
    lines.on("close", () => {
      cleanUp()
      resolve(0)
    })
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
      process.on(signal, () => {
        cleanUp()
        resolve(0)
      })
    }
  })
}
