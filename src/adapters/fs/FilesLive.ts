/**
 * Files on the local filesystem through node:fs. Every exception becomes a
 * FileError here. `layerBlocking` reads and writes streamed files with
 * synchronous calls: about twice as fast for a command-line process that has
 * nothing else to do (encrypt, compress), and never for the daemon, where it
 * would stall every agent.
 */
import { randomBytes } from "node:crypto"
import {
  type BigIntStats,
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  futimesSync,
  linkSync,
  lstatSync,
  openSync,
  statSync,
  readdirSync,
  readlinkSync,
  readSync,
  renameSync,
  rmSync,
  writeSync
} from "node:fs"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Effect, Layer } from "effect"
import {
  type AppendFile,
  type AtomicOptions,
  type AtomicOutput,
  type CommitOptions,
  FileError,
  fileErrorFrom,
  type FileInfo,
  type FileReader,
  Files,
  type FilesShape,
  type FileType,
  partsOfTemporary,
  temporaryName,
  unlessMissing,
  type WalkOptions,
  type WalkVisitor,
  writeAtomicVia
} from "./Files.ts"

export interface FilesLiveOptions {
  /** Synchronous reads and writes of streamed files; for a command-line process only. */
  readonly blocking?: boolean
  /**
   * Before a streamed write, remove the temporary files of the same target
   * that this user's processes left and that are no longer running (the pid
   * in the name): what a command killed with SIGKILL left. For a
   * command-line process only: the daemon keeps a journal instead.
   */
  readonly sweepAbandoned?: boolean
}

const attempt = <A>(operation: string, file: string, run: () => PromiseLike<A>): Effect.Effect<A, FileError> =>
  Effect.tryPromise({ try: run, catch: (cause) => fileErrorFrom(operation, file, cause) })

const attemptSync = <A>(operation: string, file: string, run: () => A): Effect.Effect<A, FileError> =>
  Effect.try({ try: run, catch: (cause) => fileErrorFrom(operation, file, cause) })

const typeOf = (stats: BigIntStats): FileType =>
  stats.isFile()
    ? "file"
    : stats.isDirectory()
    ? "directory"
    : stats.isSymbolicLink()
    ? "symlink"
    : stats.isFIFO()
    ? "fifo"
    : stats.isSocket()
    ? "socket"
    : "device"

export const infoOf = (stats: BigIntStats): FileInfo => ({
  type: typeOf(stats),
  size: Number(stats.size),
  allocated: Number(stats.blocks) * 512,
  mode: Number(stats.mode & 0o7777n),
  uid: Number(stats.uid),
  gid: Number(stats.gid),
  modifiedNs: stats.mtimeNs,
  device: stats.dev,
  inode: stats.ino,
  links: Number(stats.nlink)
})

const secondsOf = (ns: bigint): number => Number(ns) / 1e9

/** A write that returns without having written anything would loop forever; say so instead. */
const noProgress = (offset: number, length: number) => new Error(`write made no progress at byte ${offset} of ${length}`)

/** Every byte, with as many writes as it takes: one write may stop short (a signal, a nearly full disk). */
export const writeAll = async (handle: fs.FileHandle, bytes: Uint8Array): Promise<void> => {
  for (let offset = 0; offset < bytes.byteLength;) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset)
    if (bytesWritten <= 0) throw noProgress(offset, bytes.byteLength)
    offset += bytesWritten
  }
}

/** `writeAll` with synchronous writes, for a descriptor that never says EAGAIN (a regular file, a device). */
export const writeAllSync = (fd: number, bytes: Uint8Array): void => {
  for (let offset = 0; offset < bytes.byteLength;) {
    const written = writeSync(fd, bytes, offset, bytes.byteLength - offset)
    if (written <= 0) throw noProgress(offset, bytes.byteLength)
    offset += written
  }
}

/** Reads until `buffer` is full or the file ends; `position` null reads on from the file's offset. */
const fill = async (handle: fs.FileHandle, buffer: Uint8Array, position: number | null): Promise<number> => {
  let filled = 0
  while (filled < buffer.byteLength) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.byteLength - filled, position === null ? null : position + filled)
    if (bytesRead === 0) break
    filled += bytesRead
  }
  return filled
}

const fillSync = (fd: number, buffer: Uint8Array, position: number | null): number => {
  let filled = 0
  while (filled < buffer.byteLength) {
    const bytesRead = readSync(fd, buffer, filled, buffer.byteLength - filled, position === null ? null : position + filled)
    if (bytesRead === 0) break
    filled += bytesRead
  }
  return filled
}

/** Opens `file`, runs `use` with its handle, and always closes it. */
const withHandle = <A>(
  operation: string,
  file: string,
  flags: string | number,
  use: (handle: fs.FileHandle) => Effect.Effect<A, FileError>
): Effect.Effect<A, FileError> =>
  Effect.acquireUseRelease(
    attempt(operation, file, () => fs.open(file, flags)),
    use,
    (handle) => Effect.ignore(attempt("close", file, () => handle.close()))
  )

/** Whether a process has this pid (one of another user's included: kill says EPERM then). */
const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH"
  }
}

/** Errno of a link(2) that failed only because this filesystem has no hard links (FAT, some FUSE). */
const NO_HARD_LINKS = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EXDEV"])

export const make = (options: FilesLiveOptions = {}): FilesShape => {
  const blocking = options.blocking ?? false

  const syncDirectory = (dir: string) => withHandle("sync directory", dir, "r", (handle) => attempt("sync directory", dir, () => handle.sync()))

  // The blocking layer inspects and lists with synchronous calls too: adding a tree of 3,000 small files
  // spent ~100 ms in the thread-pool round trips of its lstat calls alone.
  const stat = (file: string, how: { readonly followSymlinks?: boolean } = {}) =>
    (blocking
      ? attemptSync("inspect", file, () => (how.followSymlinks === true ? statSync(file, { bigint: true }) : lstatSync(file, { bigint: true })))
      : attempt("inspect", file, () => (how.followSymlinks === true ? fs.stat(file, { bigint: true }) : fs.lstat(file, { bigint: true })))).pipe(
        Effect.map(infoOf)
      )

  const list = (dir: string) =>
    (blocking ? attemptSync("list", dir, () => readdirSync(dir)) : attempt("list", dir, () => fs.readdir(dir))).pipe(
      Effect.map((names) => names.sort())
    )

  const refuseExisting = (file: string) =>
    Effect.flatMap(
      unlessMissing(stat(file)),
      (found) => (found === undefined ? Effect.void : Effect.fail(new FileError({ reason: "Exists", operation: "create", path: file })))
    )

  /** Puts the finished temporary file at `target`: renamed over it, or linked beside it so an existing file is never replaced. */
  const publish = (temporary: string, target: string, replace: boolean): Effect.Effect<void, FileError> =>
    replace
      ? attempt("rename into place", target, () => fs.rename(temporary, target))
      : Effect.tryPromise({ try: () => fs.link(temporary, target), catch: (cause) => cause }).pipe(
        Effect.catch((cause) => {
          const code = (cause as NodeJS.ErrnoException).code ?? ""
          if (!NO_HARD_LINKS.has(code)) return Effect.fail(fileErrorFrom("create", target, cause))
          // Without hard links the check and the rename are two steps: a file created in between is replaced.
          return Effect.andThen(refuseExisting(target), attempt("rename into place", target, () => fs.rename(temporary, target)))
        }),
        Effect.andThen(Effect.ignore(attempt("remove", temporary, () => fs.rm(temporary, { force: true }))))
      )

  /**
   * Best effort, never failing the write: a temporary file of `target` is
   * removed only when it is a regular file of this user's and no process has
   * the pid in its name. A pid is only known in this machine's (and this
   * container's) process list: a writer elsewhere sharing the directory is
   * not seen.
   *
   * The temporary-looking names of each directory, listed once per process:
   * listing the directory for every write made writing n files into one
   * directory (a restore) cost n listings of up to n names. A temporary file
   * abandoned after the listing is left for the next process.
   */
  const temporariesByDir = new Map<string, ReadonlyArray<string>>()
  const removeAbandoned = (target: string): Effect.Effect<void> =>
    Effect.gen(function*() {
      const dir = path.dirname(target)
      const base = path.basename(target)
      let names = temporariesByDir.get(dir)
      if (names === undefined) {
        names = (yield* Effect.orElseSucceed(list(dir), () => [] as ReadonlyArray<string>)).filter((name) => partsOfTemporary(name) !== undefined)
        temporariesByDir.set(dir, names)
      }
      for (const name of names) {
        const parts = partsOfTemporary(name)
        if (parts === undefined || parts.target !== base || parts.pid === process.pid || isRunning(parts.pid)) continue
        const file = path.join(dir, name)
        const info = yield* Effect.option(stat(file))
        if (info._tag === "None" || info.value.type !== "file" || info.value.uid !== process.geteuid?.()) continue
        yield* Effect.ignore(remove(file))
      }
    })

  /** `publish` with the synchronous calls: for the blocking (command-line) layer. */
  const publishSync = (temporary: string, target: string, replace: boolean): Effect.Effect<void, FileError> =>
    replace
      ? attemptSync("rename into place", target, () => renameSync(temporary, target))
      : Effect.try({ try: () => linkSync(temporary, target), catch: (cause) => cause }).pipe(
        Effect.catch((cause) => {
          const code = (cause as NodeJS.ErrnoException).code ?? ""
          if (!NO_HARD_LINKS.has(code)) return Effect.fail(fileErrorFrom("create", target, cause))
          return Effect.andThen(refuseExisting(target), attemptSync("rename into place", target, () => renameSync(temporary, target)))
        }),
        Effect.andThen(Effect.ignore(attemptSync("remove", temporary, () => rmSync(temporary, { force: true }))))
      )

  /**
   * `openAtomic` with synchronous calls throughout. A command-line process
   * writing thousands of small files (a restore) spent most of its time in
   * the thread-pool round trips of the promise API: measured under Bun, 3,000
   * create-write-chmod-utimes-link-unlink-close cycles took 2.0 s async and
   * 0.5 s sync.
   */
  const openAtomicBlocking = (target: string, atomic: AtomicOptions = {}) =>
    Effect.gen(function*() {
      const replace = atomic.replace ?? false
      if (!replace) {
        const exists = yield* attemptSync("inspect", target, () => lstatSync(target, { throwIfNoEntry: false }) !== undefined)
        if (exists) return yield* Effect.fail(new FileError({ reason: "Exists", operation: "create", path: target }))
      }
      if (options.sweepAbandoned === true) yield* removeAbandoned(target)
      const temporary = temporaryName(target, process.pid, randomBytes(6).toString("hex"))
      let committed = false
      const fd = yield* Effect.acquireRelease(
        attemptSync("create", temporary, () => openSync(temporary, "wx", atomic.mode ?? 0o600)),
        (fd) =>
          Effect.andThen(
            Effect.ignore(attemptSync("close", temporary, () => closeSync(fd))),
            committed ? Effect.void : Effect.ignore(attemptSync("remove", temporary, () => rmSync(temporary, { force: true })))
          )
      )
      const write = (bytes: Uint8Array) => attemptSync("write", target, () => writeAllSync(fd, bytes))
      const commit = (finish: CommitOptions = {}) =>
        Effect.gen(function*() {
          const final = finish.as ?? target
          if (finish.mode !== undefined) yield* attemptSync("set the mode of", target, () => fchmodSync(fd, finish.mode!))
          if (finish.modifiedNs !== undefined) {
            const seconds = secondsOf(finish.modifiedNs)
            yield* attemptSync("set the times of", target, () => futimesSync(fd, seconds, seconds))
          }
          const durable = finish.durable ?? true
          if (durable) yield* attemptSync("sync", target, () => fsyncSync(fd))
          yield* publishSync(temporary, final, replace)
          committed = true
          if (durable) yield* syncDirectory(path.dirname(final))
        })
      return { path: target, write, commit } satisfies AtomicOutput
    })

  const openAtomic = (target: string, atomic: AtomicOptions = {}) =>
    blocking ? openAtomicBlocking(target, atomic) : Effect.gen(function*() {
      const replace = atomic.replace ?? false
      if (!replace) yield* refuseExisting(target)
      if (options.sweepAbandoned === true) yield* removeAbandoned(target)
      // The one place temporary files are made: the pattern of Files.ts, in the target's directory.
      const temporary = temporaryName(target, process.pid, randomBytes(6).toString("hex"))
      let committed = false
      const handle = yield* Effect.acquireRelease(
        attempt("create", temporary, () => fs.open(temporary, "wx", atomic.mode ?? 0o600)),
        (handle) =>
          Effect.andThen(
            Effect.ignore(attempt("close", temporary, () => handle.close())),
            committed ? Effect.void : Effect.ignore(attempt("remove", temporary, () => fs.rm(temporary, { force: true })))
          )
      )
      const write = blocking
        ? (bytes: Uint8Array) => attemptSync("write", target, () => writeAllSync(handle.fd, bytes))
        : (bytes: Uint8Array) => attempt("write", target, () => writeAll(handle, bytes))
      const commit = (finish: CommitOptions = {}) =>
        Effect.gen(function*() {
          const final = finish.as ?? target
          if (finish.mode !== undefined) yield* attempt("set the mode of", target, () => handle.chmod(finish.mode!))
          if (finish.modifiedNs !== undefined) {
            const seconds = secondsOf(finish.modifiedNs)
            yield* attempt("set the times of", target, () => handle.utimes(seconds, seconds))
          }
          const durable = finish.durable ?? true
          if (durable) yield* attempt("sync", target, () => handle.sync())
          yield* publish(temporary, final, replace)
          committed = true
          if (durable) yield* syncDirectory(path.dirname(final))
        })
      return { path: target, write, commit } satisfies AtomicOutput
    })

  const readFile = (file: string, limit: { readonly maxBytes?: number } = {}) =>
    limit.maxBytes === undefined
      ? attempt("read", file, () => fs.readFile(file)).pipe(Effect.map((buffer) => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)))
      : withHandle("read", file, "r", (handle) =>
        Effect.gen(function*() {
          const { size } = yield* attempt("read", file, () => handle.stat())
          if (size > limit.maxBytes!) {
            return yield* new FileError({ reason: "TooLarge", operation: "read", path: file, detail: `it has ${size} bytes, more than the ${limit.maxBytes} expected` })
          }
          const buffer = new Uint8Array(size)
          const read = yield* attempt("read", file, () => fill(handle, buffer, 0))
          return buffer.subarray(0, read)
        }))

  const openReadBlocking = (file: string, how: { readonly followSymlinks?: boolean } = {}) =>
    Effect.gen(function*() {
      const flags = constants.O_RDONLY | (how.followSymlinks === false ? constants.O_NOFOLLOW : 0)
      const fd = yield* Effect.acquireRelease(
        attemptSync("open", file, () => openSync(file, flags)),
        (fd) => Effect.ignore(attemptSync("close", file, () => closeSync(fd)))
      )
      const info = infoOf(yield* attemptSync("inspect", file, () => fstatSync(fd, { bigint: true })))
      return {
        path: file,
        info,
        read: (buffer) => attemptSync("read", file, () => fillSync(fd, buffer, null)),
        readAt: (buffer, position) => attemptSync("read", file, () => fillSync(fd, buffer, position))
      } satisfies FileReader
    })

  const openRead = (file: string, how: { readonly followSymlinks?: boolean } = {}) =>
    blocking ? openReadBlocking(file, how) : Effect.gen(function*() {
      const flags = constants.O_RDONLY | (how.followSymlinks === false ? constants.O_NOFOLLOW : 0)
      const handle = yield* Effect.acquireRelease(
        attempt("open", file, () => fs.open(file, flags)),
        (handle) => Effect.ignore(attempt("close", file, () => handle.close()))
      )
      const info = infoOf(yield* attempt("inspect", file, () => handle.stat({ bigint: true })))
      const reader: FileReader = {
        path: file,
        info,
        read: (buffer) => attempt("read", file, () => fill(handle, buffer, null)),
        readAt: (buffer, position) => attempt("read", file, () => fill(handle, buffer, position))
      }
      return reader
    })

  const openAppend = (file: string, append: { readonly create?: boolean; readonly mode?: number } = {}) =>
    Effect.gen(function*() {
      const flags = constants.O_RDWR | constants.O_APPEND
      const mode = append.mode ?? 0o600
      // An exclusive create first, so `created` is known without a race.
      const fresh = append.create === false
        ? undefined
        : yield* Effect.tryPromise({ try: () => fs.open(file, flags | constants.O_CREAT | constants.O_EXCL, mode), catch: (cause) => cause }).pipe(
          Effect.catch((cause) =>
            (cause as NodeJS.ErrnoException).code === "EEXIST" ? Effect.succeed(undefined) : Effect.fail(fileErrorFrom("create", file, cause))
          )
        )
      const handle = yield* Effect.acquireRelease(
        fresh === undefined ? attempt("open", file, () => fs.open(file, flags)) : Effect.succeed(fresh),
        (handle) => Effect.ignore(attempt("close", file, () => handle.close()))
      )
      // A new file is durable only once its directory entry is.
      if (fresh !== undefined) yield* syncDirectory(path.dirname(file))
      const { size } = yield* attempt("inspect", file, () => handle.stat())
      return {
        path: file,
        created: fresh !== undefined,
        size,
        append: (bytes) =>
          attempt("append to", file, async () => {
            await writeAll(handle, bytes)
            await handle.datasync()
          }),
        truncate: (length) =>
          attempt("truncate", file, async () => {
            await handle.truncate(length)
            await handle.sync()
          }),
        readAt: (buffer, position) => attempt("read", file, () => fill(handle, buffer, position))
      } satisfies AppendFile
    })

  const remove = (file: string) =>
    Effect.tryPromise({ try: () => fs.unlink(file), catch: (cause) => cause }).pipe(
      Effect.catch((cause) => {
        const code = (cause as NodeJS.ErrnoException).code
        if (code === "ENOENT") return Effect.void
        // unlink(2) says EISDIR for a directory on Linux.
        if (code === "EISDIR") {
          return Effect.asVoid(unlessMissing(attempt("remove", file, () => fs.rmdir(file))))
        }
        return Effect.fail(fileErrorFrom("remove", file, cause))
      })
    )

  const setAttributes: FilesShape["setAttributes"] = (file, attributes) =>
    Effect.gen(function*() {
      const follow = attributes.followSymlinks ?? true
      if (attributes.mode !== undefined && follow) yield* attempt("set the mode of", file, () => fs.chmod(file, attributes.mode!))
      if (attributes.modifiedNs !== undefined) {
        const seconds = secondsOf(attributes.modifiedNs)
        yield* attempt("set the times of", file, () => (follow ? fs.utimes(file, seconds, seconds) : fs.lutimes(file, seconds, seconds)))
      }
    })

  return {
    readFile,
    writeAtomic: writeAtomicVia(openAtomic),
    openRead,
    openAtomic,
    openAppend,
    stat,
    list,
    makeDirectory: (dir, how = {}) =>
      Effect.gen(function*() {
        const mode = how.mode ?? 0o777
        // mkdir -p says which directory it made first; each made one is durable once its parent is synced.
        const first = how.recursive === true
          ? yield* attempt("create directory", dir, () => fs.mkdir(dir, { recursive: true, mode }))
          : yield* Effect.as(attempt("create directory", dir, () => fs.mkdir(dir, { mode })), dir)
        if (first === undefined || how.durable === false) return
        const made = [path.resolve(dir)]
        while (made[0] !== path.resolve(first)) made.unshift(path.dirname(made[0]!))
        yield* Effect.forEach(made, (created) => syncDirectory(path.dirname(created)), { discard: true })
      }),
    remove,
    syncDirectory,
    setAttributes,
    symlink: (target, file) => attempt("create symbolic link", file, () => fs.symlink(target, file)),
    readLink: (file) =>
      blocking ? attemptSync("read symbolic link", file, () => readlinkSync(file)) : attempt("read symbolic link", file, () => fs.readlink(file)),
    walk: (root, visitor, walkOptions = {}) =>
      Effect.tryPromise({
        try: (signal) => walkTree(root, visitor, walkOptions, signal),
        catch: (cause) => (cause instanceof FileError ? cause : fileErrorFrom("walk", root, cause))
      })
  }
}

/** Hard-link identities remembered; past this many, further names of a file may be reported as new. */
const MAX_REMEMBERED_LINKS = 1_000_000

interface Frame {
  readonly path: string
  readonly names: ReadonlyArray<string>
  next: number
  /** lstat of names[i], started ahead of the walk (LOOKAHEAD at a time): a stat's round trip overlaps the next ones. */
  readonly stats: Array<Promise<BigIntStats | { readonly failed: unknown }> | undefined>
}

/** How many lstat calls a walk keeps in flight ahead of the entry it is at. */
const LOOKAHEAD = 32

const walkTree = async (root: string, visitor: WalkVisitor, options: WalkOptions, signal: AbortSignal): Promise<void> => {
  const rootStats = await fs.lstat(root, { bigint: true }).catch((cause: unknown) => {
    throw fileErrorFrom("walk", root, cause)
  })
  if (!rootStats.isDirectory()) throw new FileError({ reason: "NotDirectory", operation: "walk", path: root })
  const seen = new Set<string>()
  const names = async (dir: string): Promise<ReadonlyArray<string>> => {
    try {
      return await fs.readdir(dir)
    } catch (cause) {
      visitor.unreadable(dir, fileErrorFrom("list", dir, cause))
      return []
    }
  }
  const frameOf = (dir: string, listed: ReadonlyArray<string>): Frame => ({ path: dir, names: listed, next: 0, stats: [] })
  const statAhead = (frame: Frame) => {
    const until = Math.min(frame.names.length, frame.next + LOOKAHEAD)
    for (let i = frame.next; i < until; i++) {
      frame.stats[i] ??= fs.lstat(path.join(frame.path, frame.names[i]!), { bigint: true }).catch((failed: unknown) => ({ failed }))
    }
  }
  const stack: Array<Frame> = [frameOf(root, await names(root))]
  while (stack.length > 0) {
    const frame = stack.at(-1)!
    if (frame.next >= frame.names.length || signal.aborted) {
      stack.pop()
      visitor.leave(frame.path)
      continue
    }
    statAhead(frame)
    const index = frame.next++
    const name = frame.names[index]!
    const entryPath = path.join(frame.path, name)
    const stated = await frame.stats[index]!
    frame.stats[index] = undefined
    if ("failed" in stated) {
      visitor.unreadable(entryPath, fileErrorFrom("inspect", entryPath, stated.failed))
      continue
    }
    const stats = stated
    const info = infoOf(stats)
    const isDirectory = info.type === "directory"
    const otherFilesystem = isDirectory && info.device !== rootStats.dev
    let seenBefore = false
    if (!isDirectory && info.links > 1) {
      const id = `${info.device}:${info.inode}`
      seenBefore = seen.has(id)
      if (!seenBefore && seen.size < MAX_REMEMBERED_LINKS) seen.add(id)
    }
    const entry = { path: entryPath, name, info, seenBefore, otherFilesystem }
    if (!visitor.entry(entry)) {
      while (stack.length > 0) visitor.leave(stack.pop()!.path)
      return
    }
    if (isDirectory && (!otherFilesystem || options.crossFilesystems === true) && (visitor.enter?.(entry) ?? true)) {
      stack.push(frameOf(entryPath, await names(entryPath)))
    }
  }
}

export const layer: Layer.Layer<Files> = Layer.succeed(Files, make())

/** For a command-line process that does one file job and nothing else; never the daemon. */
export const layerBlocking: Layer.Layer<Files> = Layer.succeed(Files, make({ blocking: true, sweepAbandoned: true }))
