/**
 * Files in memory, for tests: a POSIX-like tree (directories, files, hard
 * links, symbolic links, mount points) that also remembers what is durable.
 * A file's bytes are durable once it is fsynced, a directory's entries once
 * the directory is; `crash()` drops everything else, as a power cut would.
 * Faults make chosen steps fail (a directory fsync, a write), and a free-space
 * budget makes writes fail part way with NoSpace, as a full disk does.
 */
import * as nodePath from "node:path"
import { Effect, Layer } from "effect"
import {
  type AppendFile,
  type AtomicOutput,
  FileError,
  type FileErrorReason,
  type FileInfo,
  type FileReader,
  Files,
  type FilesShape,
  type FileType,
  temporaryName,
  writeAtomicVia
} from "./Files.ts"

/** The steps a fault can make fail. */
export type Step =
  | "read"
  | "write"
  | "sync"
  | "rename"
  | "syncDirectory"
  | "create"
  | "remove"
  | "list"
  | "stat"
  | "makeDirectory"
  | "setAttributes"
  | "symlink"
  | "readLink"

export interface Fault {
  readonly step: Step
  /** Only for this path (for a streamed write: the file it is for, not its temporary name). */
  readonly path?: string
  readonly reason: FileErrorReason
  /** Fail this many times, then work again; forever if absent. */
  readonly times?: number
}

export interface FilesTest {
  readonly service: FilesShape
  readonly layer: Layer.Layer<Files>
  readonly fail: (fault: Fault) => void
  readonly clearFaults: () => void
  /** Bytes that writes may still add; then they fail with NoSpace, having written what fitted. Undefined: no limit. */
  readonly setFreeSpace: (bytes: number | undefined) => void
  /** Makes `dir` (an existing directory) and what is under it another filesystem. */
  readonly mount: (dir: string) => void
  /** What a power cut now would leave: only fsynced bytes under fsynced directory entries. Open files are closed. */
  readonly crash: () => void
  /** Every path in the tree, sorted (the root excluded). */
  readonly paths: () => ReadonlyArray<string>
}

interface Node {
  readonly inode: bigint
  readonly type: FileType
  device: bigint
  mode: number
  modifiedNs: bigint
  links: number
  /** file: its bytes now, and as of its last fsync */
  data: Uint8Array
  durable: Uint8Array | undefined
  /** symlink */
  target: string
  /** directory: its entries now, and as of its last fsync */
  entries: Map<string, Node>
  durableEntries: Map<string, Node>
}

const EMPTY = new Uint8Array(0)
const MAX_SYMLINK_HOPS = 40

export const make = (): FilesTest => {
  let inodes = 1n
  let temporaries = 0
  /** Bumped by a crash: handles from before it are closed. */
  let generation = 0
  let freeSpace: number | undefined
  let faults: Array<Fault & { left: number }> = []

  const node = (type: FileType, device: bigint, mode: number): Node => ({
    inode: inodes++,
    type,
    device,
    mode,
    modifiedNs: 0n,
    links: 1,
    data: EMPTY,
    durable: undefined,
    target: "",
    entries: new Map(),
    durableEntries: new Map()
  })
  const root = node("directory", 1n, 0o755)

  const failure = (reason: FileErrorReason, operation: string, path: string, detail?: string) =>
    new FileError({ reason, operation, path, ...(detail === undefined ? {} : { detail }) })

  /** The injected failure of this step, if a fault is set for it (and the path). */
  const faultAt = (step: Step, operation: string, path: string): FileError | undefined => {
    const fault = faults.find((candidate) => candidate.step === step && (candidate.path === undefined || candidate.path === path))
    if (fault === undefined) return undefined
    if (--fault.left <= 0) faults = faults.filter((candidate) => candidate !== fault)
    return failure(fault.reason, operation, path)
  }

  const check = (step: Step, operation: string, path: string): Effect.Effect<void, FileError> =>
    Effect.suspend(() => {
      const error = faultAt(step, operation, path)
      return error === undefined ? Effect.void : Effect.fail(error)
    })

  const absolute = (path: string) => nodePath.posix.resolve("/", path)

  type Found = { readonly parent: Node; readonly name: string; readonly node: Node | undefined }

  /** The parent directory of `path` and the entry (if any) it holds under the last name. */
  const locate = (operation: string, path: string, followLast: boolean, hops = 0): Found | FileError => {
    const parts = absolute(path).split("/").filter((part) => part !== "")
    if (parts.length === 0) return { parent: root, name: "", node: root }
    let dir = root
    for (let i = 0; i < parts.length; i++) {
      const name = parts[i]!
      const entry = dir.entries.get(name)
      const last = i === parts.length - 1
      if (entry?.type === "symlink" && (!last || followLast)) {
        if (hops >= MAX_SYMLINK_HOPS) return failure("SymbolicLink", operation, path, "too many levels of symbolic links")
        const base = "/" + parts.slice(0, i).join("/")
        const rest = parts.slice(i + 1).join("/")
        return locate(operation, nodePath.posix.join(nodePath.posix.resolve(base, entry.target), rest), followLast, hops + 1)
      }
      if (last) return { parent: dir, name, node: entry }
      if (entry === undefined) return failure("NotFound", operation, path)
      if (entry.type !== "directory") return failure("NotDirectory", operation, path)
      dir = entry
    }
    return failure("NotFound", operation, path)
  }

  const find = (operation: string, path: string, followLast = true): Effect.Effect<Found, FileError> =>
    Effect.suspend(() => {
      const found = locate(operation, path, followLast)
      return found instanceof FileError ? Effect.fail(found) : Effect.succeed(found)
    })

  const existing = (operation: string, path: string, followLast = true): Effect.Effect<Node, FileError> =>
    Effect.flatMap(find(operation, path, followLast), (found) =>
      found.node === undefined ? Effect.fail(failure("NotFound", operation, path)) : Effect.succeed(found.node))

  const infoOf = (n: Node): FileInfo => ({
    type: n.type,
    size: n.type === "file" ? n.data.byteLength : n.type === "symlink" ? n.target.length : 4096,
    allocated: n.type === "file" ? Math.ceil(n.data.byteLength / 4096) * 4096 : n.type === "directory" ? 4096 : 0,
    mode: n.mode,
    uid: 0,
    gid: 0,
    modifiedNs: n.modifiedNs,
    device: n.device,
    inode: n.inode,
    links: n.links
  })

  /** Appends what the free space allows; NoSpace if not all of it fitted. */
  const grow = (n: Node, bytes: Uint8Array, operation: string, path: string): Effect.Effect<void, FileError> =>
    Effect.suspend(() => {
      const fits = freeSpace === undefined ? bytes.byteLength : Math.min(freeSpace, bytes.byteLength)
      const grown = new Uint8Array(n.data.byteLength + fits)
      grown.set(n.data, 0)
      grown.set(bytes.subarray(0, fits), n.data.byteLength)
      n.data = grown
      if (freeSpace !== undefined) freeSpace -= fits
      return fits < bytes.byteLength ? Effect.fail(failure("NoSpace", operation, path)) : Effect.void
    })

  const live = (opened: number, operation: string, path: string) =>
    opened === generation ? Effect.void : Effect.fail(failure("Closed", operation, path, "it was open when the machine crashed"))

  const fillFrom = (n: Node, buffer: Uint8Array, position: number): number => {
    const bytes = n.data.subarray(Math.min(position, n.data.byteLength), Math.min(position + buffer.byteLength, n.data.byteLength))
    buffer.set(bytes, 0)
    return bytes.byteLength
  }

  const readInto = (n: Node, path: string, opened: number, buffer: Uint8Array, position: number) =>
    Effect.gen(function*() {
      yield* live(opened, "read", path)
      yield* check("read", "read", path)
      if (n.type === "directory") return yield* Effect.fail(failure("IsDirectory", "read", path))
      return fillFrom(n, buffer, position)
    })

  const unlink = (parent: Node, name: string) => {
    const gone = parent.entries.get(name)
    if (gone === undefined) return
    parent.entries.delete(name)
    gone.links--
  }

  const syncDirectory = (dir: string) =>
    Effect.gen(function*() {
      yield* check("syncDirectory", "sync directory", dir)
      const n = yield* existing("sync directory", dir)
      if (n.type !== "directory") return yield* Effect.fail(failure("NotDirectory", "sync directory", dir))
      n.durableEntries = new Map(n.entries)
    })

  const openAtomic: FilesShape["openAtomic"] = (target, options = {}) =>
    Effect.gen(function*() {
      const replace = options.replace ?? false
      const { node: current, parent } = yield* find("create", target)
      if (!replace && current !== undefined) return yield* Effect.fail(failure("Exists", "create", target))
      yield* check("create", "create", target)
      const temporary = nodePath.posix.basename(temporaryName(target, 1, (++temporaries).toString(16).padStart(12, "0")))
      const file = node("file", parent.device, options.mode ?? 0o600)
      parent.entries.set(temporary, file)
      const opened = generation
      let committed = false
      yield* Effect.addFinalizer(() => Effect.sync(() => {
        if (!committed && opened === generation && parent.entries.get(temporary) === file) unlink(parent, temporary)
      }))
      const output: AtomicOutput = {
        path: target,
        write: (bytes) =>
          Effect.gen(function*() {
            yield* live(opened, "write", target)
            yield* check("write", "write", target)
            yield* grow(file, bytes, "write", target)
          }),
        commit: (finish = {}) =>
          Effect.gen(function*() {
            yield* live(opened, "sync", target)
            const final = finish.as ?? target
            if (finish.mode !== undefined) file.mode = finish.mode
            if (finish.modifiedNs !== undefined) file.modifiedNs = finish.modifiedNs
            const durable = finish.durable ?? true
            if (durable) {
              yield* check("sync", "sync", target)
              file.durable = file.data
            }
            yield* check("rename", "rename into place", final)
            const destination = yield* find("rename into place", final, false)
            if (!replace && destination.node !== undefined) return yield* Effect.fail(failure("Exists", "create", final))
            unlink(destination.parent, destination.name)
            destination.parent.entries.set(destination.name, file)
            parent.entries.delete(temporary)
            committed = true
            if (durable) yield* syncDirectory(nodePath.posix.dirname(absolute(final)))
          })
      }
      return output
    })

  const openRead: FilesShape["openRead"] = (path, how = {}) =>
    Effect.gen(function*() {
      const n = yield* existing("open", path, how.followSymlinks !== false)
      if (n.type === "symlink") return yield* Effect.fail(failure("SymbolicLink", "open", path))
      const opened = generation
      let position = 0
      const reader: FileReader = {
        path,
        info: infoOf(n),
        read: (buffer) => Effect.map(readInto(n, path, opened, buffer, position), (read) => ((position += read), read)),
        readAt: (buffer, at) => readInto(n, path, opened, buffer, at)
      }
      return reader
    })

  const openAppend: FilesShape["openAppend"] = (path, options = {}) =>
    Effect.gen(function*() {
      const found = yield* find("open", path)
      let n = found.node
      const created = n === undefined
      if (n === undefined) {
        if (options.create === false) return yield* Effect.fail(failure("NotFound", "open", path))
        yield* check("create", "create", path)
        n = node("file", found.parent.device, options.mode ?? 0o600)
        found.parent.entries.set(found.name, n)
        yield* syncDirectory(nodePath.posix.dirname(absolute(path)))
      }
      if (n.type === "directory") return yield* Effect.fail(failure("IsDirectory", "open", path))
      const file = n
      const opened = generation
      const appendFile: AppendFile = {
        path,
        created,
        size: file.data.byteLength,
        append: (bytes) =>
          Effect.gen(function*() {
            yield* live(opened, "append to", path)
            yield* check("write", "append to", path)
            yield* grow(file, bytes, "append to", path)
            yield* check("sync", "append to", path)
            file.durable = file.data
          }),
        truncate: (length) =>
          Effect.gen(function*() {
            yield* live(opened, "truncate", path)
            yield* check("write", "truncate", path)
            const cut = new Uint8Array(length)
            cut.set(file.data.subarray(0, length), 0)
            file.data = cut
            yield* check("sync", "truncate", path)
            file.durable = file.data
          }),
        readAt: (buffer, position) => readInto(file, path, opened, buffer, position)
      }
      return appendFile
    })

  const walk: FilesShape["walk"] = (start, visitor, options = {}) =>
    Effect.gen(function*() {
      const top = yield* existing("walk", start, false)
      if (top.type !== "directory") return yield* Effect.fail(failure("NotDirectory", "walk", start))
      const seen = new Set<bigint>()
      const namesOf = (dir: string, n: Node): ReadonlyArray<string> => {
        const error = faultAt("list", "list", dir)
        if (error === undefined) return [...n.entries.keys()].sort()
        visitor.unreadable(dir, error)
        return []
      }
      const stack = [{ path: start, node: top, names: namesOf(start, top), next: 0 }]
      while (stack.length > 0) {
        const frame = stack.at(-1)!
        if (frame.next >= frame.names.length) {
          stack.pop()
          visitor.leave(frame.path)
          continue
        }
        const name = frame.names[frame.next++]!
        const path = nodePath.posix.join(frame.path, name)
        const n = frame.node.entries.get(name)
        if (n === undefined) continue
        const isDirectory = n.type === "directory"
        const otherFilesystem = isDirectory && n.device !== top.device
        const seenBefore = !isDirectory && n.links > 1 && seen.has(n.inode)
        if (!isDirectory && n.links > 1) seen.add(n.inode)
        const entry = { path, name, info: infoOf(n), seenBefore, otherFilesystem }
        if (!visitor.entry(entry)) {
          while (stack.length > 0) visitor.leave(stack.pop()!.path)
          return
        }
        if (isDirectory && (!otherFilesystem || options.crossFilesystems === true) && (visitor.enter?.(entry) ?? true)) {
          stack.push({ path, node: n, names: namesOf(path, n), next: 0 })
        }
      }
    })

  const service: FilesShape = {
    readFile: (path, limit = {}) =>
      Effect.gen(function*() {
        yield* check("read", "read", path)
        const n = yield* existing("read", path)
        if (n.type === "directory") return yield* Effect.fail(failure("IsDirectory", "read", path))
        if (limit.maxBytes !== undefined && n.data.byteLength > limit.maxBytes) {
          return yield* Effect.fail(failure("TooLarge", "read", path, `it has ${n.data.byteLength} bytes, more than the ${limit.maxBytes} expected`))
        }
        return n.data.slice()
      }),
    writeAtomic: writeAtomicVia(openAtomic),
    openRead,
    openAtomic,
    openAppend,
    stat: (path, how = {}) =>
      Effect.andThen(check("stat", "inspect", path), Effect.map(existing("inspect", path, how.followSymlinks === true), infoOf)),
    list: (dir) =>
      Effect.gen(function*() {
        yield* check("list", "list", dir)
        const n = yield* existing("list", dir)
        if (n.type !== "directory") return yield* Effect.fail(failure("NotDirectory", "list", dir))
        return [...n.entries.keys()].sort()
      }),
    makeDirectory: (dir, how = {}) =>
      Effect.gen(function*() {
        yield* check("makeDirectory", "create directory", dir)
        const parts = absolute(dir).split("/").filter((part) => part !== "")
        for (let i = how.recursive === true ? 1 : parts.length; i <= parts.length; i++) {
          const prefix = "/" + parts.slice(0, i).join("/")
          const found = yield* find("create directory", prefix)
          if (found.node !== undefined) {
            if (i < parts.length && found.node.type === "directory") continue
            if (how.recursive === true && found.node.type === "directory") continue
            return yield* Effect.fail(failure("Exists", "create directory", dir))
          }
          found.parent.entries.set(found.name, node("directory", found.parent.device, how.mode ?? 0o777))
          // As the live port does: a new directory is durable at once, unless asked not to be.
          if (how.durable !== false) found.parent.durableEntries = new Map(found.parent.entries)
        }
      }),
    remove: (path) =>
      Effect.gen(function*() {
        yield* check("remove", "remove", path)
        const found = yield* find("remove", path, false)
        if (found.node === undefined) return
        if (found.node.type === "directory" && found.node.entries.size > 0) {
          return yield* Effect.fail(failure("Exists", "remove", path, "the directory is not empty"))
        }
        unlink(found.parent, found.name)
      }),
    syncDirectory,
    setAttributes: (path, attributes) =>
      Effect.gen(function*() {
        yield* check("setAttributes", "set the attributes of", path)
        const follow = attributes.followSymlinks ?? true
        const n = yield* existing("set the attributes of", path, follow)
        if (attributes.mode !== undefined && follow) n.mode = attributes.mode
        if (attributes.modifiedNs !== undefined) n.modifiedNs = attributes.modifiedNs
      }),
    symlink: (target, path) =>
      Effect.gen(function*() {
        yield* check("symlink", "create symbolic link", path)
        const found = yield* find("create symbolic link", path, false)
        if (found.node !== undefined) return yield* Effect.fail(failure("Exists", "create symbolic link", path))
        const link = node("symlink", found.parent.device, 0o777)
        link.target = target
        found.parent.entries.set(found.name, link)
      }),
    readLink: (path) =>
      Effect.gen(function*() {
        yield* check("readLink", "read symbolic link", path)
        const n = yield* existing("read symbolic link", path, false)
        if (n.type !== "symlink") return yield* Effect.fail(failure("Other", "read symbolic link", path, "it is not a symbolic link"))
        return n.target
      }),
    walk
  }

  /** Every node reachable from the root, through entries as they are now. */
  const reachable = (visit: (path: string, n: Node) => void, from = root, at = "") => {
    for (const [name, n] of from.entries) {
      visit(`${at}/${name}`, n)
      if (n.type === "directory") reachable(visit, n, `${at}/${name}`)
    }
  }

  return {
    service,
    layer: Layer.succeed(Files, service),
    fail: (fault) => void faults.push({ ...fault, left: fault.times ?? Infinity }),
    clearFaults: () => void (faults = []),
    setFreeSpace: (bytes) => void (freeSpace = bytes),
    mount: (dir) => {
      const found = locate("mount", dir, true)
      if (found instanceof FileError || found.node?.type !== "directory") throw new Error(`mount: ${dir} is not a directory`)
      const device = inodes++ + 1000n
      found.node.device = device
      reachable((_, n) => void (n.device = device), found.node)
    },
    crash: () => {
      generation++
      const restore = (dir: Node) => {
        dir.entries = new Map(dir.durableEntries)
        for (const n of dir.entries.values()) {
          if (n.type === "directory") restore(n)
          if (n.type === "file") n.data = n.durable ?? EMPTY
        }
      }
      restore(root)
      const counts = new Map<Node, number>()
      reachable((_, n) => void counts.set(n, (counts.get(n) ?? 0) + 1))
      for (const [n, links] of counts) n.links = links
    },
    paths: () => {
      const all: Array<string> = []
      reachable((path) => void all.push(path))
      return all.sort()
    }
  }
}

/** A fresh in-memory filesystem as a layer, for tests that need no faults. */
export const layer = (): Layer.Layer<Files> => make().layer
