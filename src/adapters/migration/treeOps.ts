/**
 * The filesystem operations a migration is made of, as plain async
 * functions with JSON arguments and results: the daemon runs them itself for
 * root, and a helper running as the caller (migrateAs.ts) runs the very same
 * functions for anyone else, so the kernel applies the caller's rights.
 *
 * Every failure is an errno exception; MigrationFilesLive turns it into a
 * FileError. Nothing here follows a symbolic link at the last name.
 */
import { execFile } from "node:child_process"
import { createHash } from "node:crypto"
import { type BigIntStats, constants } from "node:fs"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import type { Copied, EntryInfo, Metadata, Xattr } from "./MigrationFiles.ts"

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NOCTTY, O_NONBLOCK, O_DIRECTORY } = constants

const CHUNK = 1024 * 1024

export const infoOf = (stats: BigIntStats): EntryInfo => ({
  type: stats.isFile() ? "file" : stats.isDirectory() ? "directory" : stats.isSymbolicLink() ? "symlink" : "other",
  size: Number(stats.size),
  mode: Number(stats.mode & 0o7777n),
  uid: Number(stats.uid),
  gid: Number(stats.gid),
  mtimeNs: String(stats.mtimeNs),
  atimeNs: String(stats.atimeNs),
  ctimeNs: String(stats.ctimeNs),
  device: String(stats.dev),
  inode: String(stats.ino),
  links: Number(stats.nlink)
})

const errno = (code: string, message: string) => Object.assign(new Error(message), { code })

export const lstat = async (file: string): Promise<EntryInfo | null> => {
  try {
    return infoOf(await fs.lstat(file, { bigint: true }))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null
    throw error
  }
}

export const list = async (dir: string): Promise<ReadonlyArray<string>> => (await fs.readdir(dir)).sort()

/** Which extended attributes a migration carries, for whom: root keeps all; others the user namespace and ACLs. */
export const carried = (name: string, everything: boolean): boolean =>
  name.startsWith("user.") || name === "system.posix_acl_access" || name === "system.posix_acl_default" ||
  (everything && (name.startsWith("trusted.") || name.startsWith("security.")))

const run = (tool: string, args: ReadonlyArray<string>, input?: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = execFile(tool, args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", LC_ALL: "C" } }, (error, stdout, stderr) => {
      if (error !== null) {
        const code = (error as NodeJS.ErrnoException).code
        reject(errno(typeof code === "string" ? code : "EIO", `${tool}: ${String(stderr).trim() || error.message}`))
      } else resolve(stdout)
    })
    if (input !== undefined) child.stdin!.end(input)
  })

/** getfattr's escaping of names: backslash and octal escapes. */
const unescapeName = (text: string) => text.replace(/\\([0-7]{3}|\\)/g, (_m, code: string) => (code === "\\" ? "\\" : String.fromCharCode(parseInt(code, 8))))

const escapeName = (text: string) => text.replace(/[\\\x00-\x20\x7f=]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`)

/**
 * The carried extended attributes of each of `paths` (never following a
 * symbolic link), from one `getfattr --dump` per 256 paths: a path without any is absent.
 */
export const readXattrs = async (paths: ReadonlyArray<string>, everything: boolean): Promise<Record<string, ReadonlyArray<Xattr>>> => {
  const out: Record<string, Array<Xattr>> = {}
  for (let i = 0; i < paths.length; i += 256) {
    const batch = paths.slice(i, i + 256)
    const text = await run("getfattr", ["--absolute-names", "--dump", "--no-dereference", "--match=-", "--encoding=hex", "--", ...batch])
    let current: string | undefined
    for (const line of text.split("\n")) {
      if (line.startsWith("# file: ")) current = unescapeName(line.slice(8))
      else if (current !== undefined && line.includes("=")) {
        const at = line.indexOf("=")
        const name = line.slice(0, at)
        const value = line.slice(at + 1)
        if (!carried(name, everything)) continue
        ;(out[current] ??= []).push([name, value.startsWith("0x") ? value.slice(2) : ""])
      }
    }
  }
  return out
}

/** Sets `xattrs` on `file` (one setfattr --restore); ACLs come after the mode, as setfacl would. */
export const writeXattrs = async (file: string, xattrs: ReadonlyArray<Xattr>): Promise<void> => {
  if (xattrs.length === 0) return
  const dump = `# file: ${escapeName(file)}\n${xattrs.map(([name, hex]) => `${name}=0x${hex}`).join("\n")}\n\n`
  await run("setfattr", ["--restore=-"], dump)
}

const seconds = (ns: string) => Number(BigInt(ns)) / 1e9

/** Hashes and sizes what `read` yields, reading ahead one chunk while the last one is hashed and written. */
const pump = async (
  read: (buffer: Uint8Array, position: number) => Promise<number>,
  write: ((bytes: Uint8Array) => Promise<void>) | undefined,
  onBytes: (total: number) => void
) => {
  const hash = createHash("sha256")
  // Buffers are reused across files: a fresh megabyte per file costs page faults, measurably (bench/migration).
  let buffers = [take(), take()]
  let position = 0
  let filled = await read(buffers[0]!, 0)
  while (filled > 0) {
    const next = read(buffers[1]!, position + filled)
    // Awaited below; if the write fails first, its rejection must not go unhandled.
    next.catch(() => {})
    const chunk = buffers[0]!.subarray(0, filled)
    hash.update(chunk)
    if (write !== undefined) await write(chunk)
    position += filled
    onBytes(position)
    filled = await next
    buffers = [buffers[1]!, buffers[0]!]
  }
  // Only now, with no read in flight, may another file use them (a failure drops them instead).
  free.push(...buffers)
  return { sha256: hash.digest("hex"), bytes: position }
}

const free: Array<Uint8Array> = []
const take = () => free.pop() ?? new Uint8Array(CHUNK)

const readFully = (handle: fs.FileHandle) => async (buffer: Uint8Array, position: number) => {
  let filled = 0
  while (filled < buffer.byteLength) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.byteLength - filled, position + filled)
    if (bytesRead === 0) break
    filled += bytesRead
  }
  return filled
}

const writeFully = (handle: fs.FileHandle) => async (bytes: Uint8Array) => {
  let written = 0
  while (written < bytes.byteLength) written += (await handle.write(bytes, written, bytes.byteLength - written)).bytesWritten
}

const openRegular = async (file: string) => {
  const handle = await fs.open(file, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK)
  const stats = await handle.stat({ bigint: true })
  if (!stats.isFile()) {
    await handle.close()
    throw errno("ENOTREG", `${file} is not a regular file`)
  }
  return { handle, stats }
}


/**
 * Copies the regular file `from` to the new file `temporary` (never an
 * existing one), hashing what it reads; gives the copy `meta` (owner where
 * the kernel allows, mode, extended attributes, times) and fsyncs it.
 */
export const copy = async (
  request: { readonly from: string; readonly temporary: string; readonly meta: Metadata; readonly xattrs: ReadonlyArray<Xattr> },
  onBytes: (total: number) => void = () => {}
): Promise<Copied> => {
  const { handle: source, stats } = await openRegular(request.from)
  try {
    const target = await fs.open(request.temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY, 0o600)
    try {
      const { sha256, bytes } = await pump(readFully(source), writeFully(target), onBytes)
      const after = infoOf(await source.stat({ bigint: true }))
      const ownerKept = await target.chown(request.meta.uid, request.meta.gid).then(() => true, (error: NodeJS.ErrnoException) => {
        if (error.code === "EPERM") return false
        throw error
      })
      // Without the owner, set-id bits are not carried (cp -p does the same).
      await target.chmod(ownerKept ? request.meta.mode : request.meta.mode & 0o1777)
      // Root's copy carries security.* too: set through the open descriptor, not the name, so a file swapped in at
      // the temporary name meanwhile gets nothing. (A helper that changed identity cannot open its own /proc/PID/fd,
      // and carries only user.* and ACLs, which give nothing away.)
      await writeXattrs(process.getuid?.() === 0 ? `/proc/${process.pid}/fd/${target.fd}` : request.temporary, request.xattrs)
      await target.utimes(seconds(request.meta.atimeNs), seconds(request.meta.mtimeNs))
      if (process.env["NOSYNC"] !== "1") await target.sync()
      return { sha256, bytes, before: infoOf(stats), after, ownerKept }
    } finally {
      await target.close()
    }
  } finally {
    await source.close()
  }
}

/** SHA-256 of the regular file `file`, streamed, with its lstat. */
export const hash = async (file: string): Promise<{ readonly sha256: string; readonly info: EntryInfo }> => {
  const { handle, stats } = await openRegular(file)
  try {
    const { sha256 } = await pump(readFully(handle), undefined, () => {})
    return { sha256, info: infoOf(stats) }
  } finally {
    await handle.close()
  }
}

export const syncDirectory = async (dir: string): Promise<void> => {
  const handle = await fs.open(dir, O_RDONLY | O_DIRECTORY)
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/**
 * Puts `temporary` at `target` without ever replacing anything there
 * (EEXIST). Durable once the directory is synced: with `sync`, now; else
 * the caller syncs each directory once for a whole batch.
 */
export const publish = async (temporary: string, target: string, sync = true): Promise<void> => {
  await fs.link(temporary, target)
  await fs.unlink(temporary)
  if (sync) await syncDirectory(path.dirname(target))
}

export const makeDirectory = async (dir: string): Promise<void> => {
  await fs.mkdir(dir, { mode: 0o700 })
}

export const symlink = async (target: string, file: string): Promise<void> => {
  await fs.symlink(target, file)
}

export const readLink = (file: string): Promise<string> => fs.readlink(file)

/**
 * Gives `file` (a directory or a symbolic link) `meta`: owner where the
 * kernel lets the caller, then mode (not a link's), extended attributes and times.
 */
export const setMetadata = async (file: string, meta: Metadata, xattrs: ReadonlyArray<Xattr>, isLink: boolean): Promise<boolean> => {
  const ownerKept = await fs.lchown(file, meta.uid, meta.gid).then(() => true, (error: NodeJS.ErrnoException) => {
    if (error.code === "EPERM") return false
    throw error
  })
  if (!isLink) {
    await fs.chmod(file, ownerKept ? meta.mode : meta.mode & 0o1777)
    await writeXattrs(file, xattrs)
  }
  await fs.lutimes(file, seconds(meta.atimeNs), seconds(meta.mtimeNs))
  return ownerKept
}

/** Removes a file, a symbolic link or an empty directory; a missing one is fine. */
export const remove = async (file: string): Promise<void> => {
  try {
    await fs.unlink(file)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === "ENOENT") return
    if (code === "EISDIR") {
      await fs.rmdir(file).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== "ENOENT") throw e
      })
      return
    }
    throw error
  }
}

/** The real path of `file`'s directory, joined with its last name: where a path really leads, without following the last name. */
export const realPathOf = async (file: string): Promise<string> => path.join(await fs.realpath(path.dirname(file)), path.basename(file))

/** Bytes an unprivileged writer may still put on the filesystem of `dir`. */
export const freeBytes = async (dir: string): Promise<number> => {
  const stats = await fs.statfs(dir)
  return Number(stats.bavail) * Number(stats.bsize)
}

export type OpRequest =
  | { readonly op: "lstat"; readonly path: string }
  | { readonly op: "list"; readonly path: string }
  | { readonly op: "readXattrs"; readonly paths: ReadonlyArray<string>; readonly everything: boolean }
  | { readonly op: "copy"; readonly from: string; readonly temporary: string; readonly meta: Metadata; readonly xattrs: ReadonlyArray<Xattr> }
  | { readonly op: "hash"; readonly path: string }
  | { readonly op: "publish"; readonly temporary: string; readonly target: string; readonly sync: boolean }
  | { readonly op: "makeDirectory"; readonly path: string }
  | { readonly op: "symlink"; readonly target: string; readonly path: string }
  | { readonly op: "readLink"; readonly path: string }
  | { readonly op: "setMetadata"; readonly path: string; readonly meta: Metadata; readonly xattrs: ReadonlyArray<Xattr>; readonly isLink: boolean }
  | { readonly op: "remove"; readonly path: string }
  | { readonly op: "syncDirectory"; readonly path: string }
  | { readonly op: "realPath"; readonly path: string }
  | { readonly op: "freeBytes"; readonly path: string }

/** Runs one request: the helper's dispatch, and the daemon's for root. */
export const perform = (request: OpRequest, onBytes?: (total: number) => void): Promise<unknown> => {
  switch (request.op) {
    case "lstat":
      return lstat(request.path)
    case "list":
      return list(request.path)
    case "readXattrs":
      return readXattrs(request.paths, request.everything)
    case "copy":
      return copy(request, onBytes)
    case "hash":
      return hash(request.path)
    case "publish":
      return publish(request.temporary, request.target, request.sync)
    case "makeDirectory":
      return makeDirectory(request.path)
    case "symlink":
      return symlink(request.target, request.path)
    case "readLink":
      return readLink(request.path)
    case "setMetadata":
      return setMetadata(request.path, request.meta, request.xattrs, request.isLink)
    case "remove":
      return remove(request.path)
    case "syncDirectory":
      return syncDirectory(request.path)
    case "realPath":
      return realPathOf(request.path)
    case "freeBytes":
      return freeBytes(request.path)
  }
}

