/**
 * ATLAS's space scan: an iterative (never recursive, so depth cannot blow the
 * stack) walk that lstat()s every entry and never follows symlinks, stays on
 * the root's filesystem unless asked, counts hard links once, and stops at an
 * entry or time budget, or when cancelled, with a partial report that says
 * so. Unreadable entries are counted and sampled, never fatal.
 *
 * Names that are not valid UTF-8 cannot be reached through a string path;
 * they show up in `skipped` (as the replacement character) rather than abort.
 */
import { lstat, readdir } from "node:fs/promises"
import { join } from "node:path"
import { Effect, Schema } from "effect"

import { ScanError } from "../actors/atlas/messages.ts"

export { ScanError } from "../actors/atlas/messages.ts"

export interface ScanOptions {
  readonly maxEntries?: number
  readonly maxMs?: number
  readonly crossFilesystems?: boolean
  /** How many largest files and directories to report. */
  readonly top?: number
  readonly signal?: AbortSignal
  readonly onProgress?: (progress: { readonly entries: number; readonly bytes: number }) => void
  /** The clock, for tests. */
  readonly now?: () => number
}

export interface UsageReport {
  readonly root: string
  readonly complete: boolean
  readonly stoppedBecause?: "entry budget" | "time budget" | "cancelled" | undefined
  readonly entries: number
  readonly files: number
  readonly directories: number
  readonly symlinks: number
  readonly others: number
  readonly apparentBytes: number
  readonly allocatedBytes: number
  readonly largestFiles: ReadonlyArray<{ readonly path: string; readonly bytes: number }>
  readonly largestDirectories: ReadonlyArray<{ readonly path: string; readonly bytes: number }>
  readonly byType: ReadonlyArray<{ readonly type: string; readonly files: number; readonly bytes: number }>
  readonly topExtensions: ReadonlyArray<{ readonly extension: string; readonly files: number; readonly bytes: number }>
  readonly skipped: { readonly count: number; readonly examples: ReadonlyArray<{ readonly path: string; readonly reason: string }> }
  /** Mount points found and not entered. */
  readonly otherFilesystems: ReadonlyArray<string>
  readonly elapsedMs: number
}

const CATEGORIES: Readonly<Record<string, ReadonlyArray<string>>> = {
  video: ["mp4", "mkv", "avi", "mov", "wmv", "m4v", "webm", "mpg", "mpeg", "ts", "flv"],
  image: ["jpg", "jpeg", "png", "gif", "heic", "heif", "webp", "tif", "tiff", "bmp", "raw", "cr2", "cr3", "nef", "arw", "dng", "svg"],
  audio: ["mp3", "flac", "wav", "aac", "m4a", "ogg", "opus", "wma", "aiff"],
  archive: ["zip", "tar", "gz", "tgz", "bz2", "xz", "zst", "7z", "rar", "svz", "lz4"],
  document: ["pdf", "doc", "docx", "odt", "xls", "xlsx", "ods", "ppt", "pptx", "odp", "txt", "md", "rtf", "epub", "csv"],
  code: ["ts", "js", "py", "c", "h", "cc", "cpp", "rs", "go", "java", "rb", "sh", "json", "yaml", "yml", "toml", "html", "css"],
  "disk-image": ["iso", "img", "qcow2", "vmdk", "vdi", "vhd", "vhdx"],
  database: ["db", "sqlite", "sqlite3", "mdb", "ldb", "wal"]
}
const CATEGORY_OF = new Map<string, string>()
for (const [category, extensions] of Object.entries(CATEGORIES)) for (const e of extensions) if (!CATEGORY_OF.has(e)) CATEGORY_OF.set(e, category)

const extensionOf = (name: string): string => {
  const dot = name.lastIndexOf(".")
  return dot <= 0 || dot === name.length - 1 ? "" : name.slice(dot + 1).toLowerCase()
}

/** Keeps the k largest by bytes: a min-heap, O(log k) per offer. */
class TopK {
  private readonly heap: Array<{ path: string; bytes: number }> = []
  constructor(private readonly k: number) {}
  offer(path: string, bytes: number) {
    const h = this.heap
    if (h.length < this.k) {
      h.push({ path, bytes })
      let i = h.length - 1
      while (i > 0) {
        const parent = (i - 1) >> 1
        if (h[parent]!.bytes <= h[i]!.bytes) break
        ;[h[parent], h[i]] = [h[i]!, h[parent]!]
        i = parent
      }
      return
    }
    if (this.k === 0 || bytes <= h[0]!.bytes) return
    h[0] = { path, bytes }
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < h.length && h[l]!.bytes < h[m]!.bytes) m = l
      if (r < h.length && h[r]!.bytes < h[m]!.bytes) m = r
      if (m === i) break
      ;[h[m], h[i]] = [h[i]!, h[m]!]
      i = m
    }
  }
  sorted() {
    return [...this.heap].sort((a, b) => b.bytes - a.bytes || a.path.localeCompare(b.path))
  }
}

interface Frame {
  readonly path: string
  readonly names: ReadonlyArray<string>
  next: number
  bytes: number
}

const MAX_SKIPPED_EXAMPLES = 20
/** Hard-link identities remembered; past this, later links may be counted twice (said in the report). */
const MAX_INODES = 1_000_000

const reasonOf = (error: unknown): string => {
  const e = error as NodeJS.ErrnoException
  return e.code === "EACCES" || e.code === "EPERM" ? "permission denied" : e.code === "ENOENT" ? "vanished during the scan" : e.code ?? String(error)
}

const walk = async (root: string, options: ScanOptions): Promise<UsageReport> => {
  const now = options.now ?? (() => performance.now())
  const started = now()
  const maxEntries = options.maxEntries ?? 1_000_000
  const maxMs = options.maxMs ?? 30_000
  const top = options.top ?? 20
  const rootStat = await lstat(root).catch((error: unknown) => {
    throw new ScanError({ root, reason: reasonOf(error) === "vanished during the scan" ? "no such file or directory" : reasonOf(error) })
  })
  if (!rootStat.isDirectory()) throw new ScanError({ root, reason: "not a directory" })
  const rootDev = rootStat.dev

  let entries = 0, files = 0, directories = 1, symlinks = 0, others = 0, apparent = 0, allocated = 0
  const largestFiles = new TopK(top)
  const largestDirectories = new TopK(top)
  const byType = new Map<string, { files: number; bytes: number }>()
  const byExtension = new Map<string, { files: number; bytes: number }>()
  const seen = new Set<string>()
  const skipped = { count: 0, examples: [] as Array<{ path: string; reason: string }> }
  const otherFilesystems: Array<string> = []
  const skip = (path: string, error: unknown) => {
    skipped.count++
    if (skipped.examples.length < MAX_SKIPPED_EXAMPLES) skipped.examples.push({ path, reason: reasonOf(error) })
  }
  const list = async (path: string): Promise<ReadonlyArray<string> | undefined> => {
    try {
      return await readdir(path)
    } catch (error) {
      skip(path, error)
      return undefined
    }
  }

  const stack: Array<Frame> = [{ path: root, names: (await list(root)) ?? [], next: 0, bytes: 0 }]
  let stoppedBecause: UsageReport["stoppedBecause"]
  const finish = (frame: Frame) => {
    largestDirectories.offer(frame.path, frame.bytes)
    const parent = stack.at(-1)
    if (parent !== undefined) parent.bytes += frame.bytes
  }
  while (stack.length > 0) {
    const frame = stack.at(-1)!
    if (frame.next >= frame.names.length) {
      stack.pop()
      finish(frame)
      continue
    }
    if (options.signal?.aborted === true) {
      stoppedBecause = "cancelled"
      break
    }
    if (entries >= maxEntries) {
      stoppedBecause = "entry budget"
      break
    }
    if ((entries & 255) === 0 && now() - started > maxMs) {
      stoppedBecause = "time budget"
      break
    }
    const name = frame.names[frame.next++]!
    const path = join(frame.path, name)
    entries++
    if ((entries & 1023) === 0) options.onProgress?.({ entries, bytes: apparent })
    let stat
    try {
      stat = await lstat(path)
    } catch (error) {
      skip(path, error)
      continue
    }
    if (stat.isDirectory()) {
      directories++
      if (stat.dev !== rootDev && options.crossFilesystems !== true) {
        otherFilesystems.push(path)
        continue
      }
      stack.push({ path, names: (await list(path)) ?? [], next: 0, bytes: 0 })
      continue
    }
    // A second name of a file already counted is neither another file nor more bytes.
    if (stat.nlink > 1) {
      const id = `${stat.dev}:${stat.ino}`
      if (seen.has(id)) continue
      if (seen.size < MAX_INODES) seen.add(id)
    }
    if (stat.isSymbolicLink()) symlinks++
    else if (stat.isFile()) files++
    else others++
    apparent += stat.size
    allocated += stat.blocks * 512
    frame.bytes += stat.size
    if (!stat.isFile()) continue
    largestFiles.offer(path, stat.size)
    const extension = extensionOf(name)
    const type = CATEGORY_OF.get(extension) ?? "other"
    const t = byType.get(type) ?? { files: 0, bytes: 0 }
    t.files++
    t.bytes += stat.size
    byType.set(type, t)
    const e = byExtension.get(extension) ?? { files: 0, bytes: 0 }
    e.files++
    e.bytes += stat.size
    byExtension.set(extension, e)
  }
  // A stopped walk still totals the directories it was inside.
  while (stack.length > 0) finish(stack.pop()!)
  return {
    root,
    complete: stoppedBecause === undefined,
    ...(stoppedBecause === undefined ? {} : { stoppedBecause }),
    entries,
    files,
    directories,
    symlinks,
    others,
    apparentBytes: apparent,
    allocatedBytes: allocated,
    largestFiles: largestFiles.sorted(),
    largestDirectories: largestDirectories.sorted(),
    byType: [...byType].map(([type, v]) => ({ type, ...v })).sort((a, b) => b.bytes - a.bytes),
    topExtensions: [...byExtension].map(([extension, v]) => ({ extension: extension === "" ? "(none)" : extension, ...v }))
      .sort((a, b) => b.bytes - a.bytes).slice(0, top),
    skipped,
    otherFilesystems,
    elapsedMs: Math.round(now() - started)
  }
}

/** Scans `root` (an absolute directory path) within the options' bounds; interruption stops the walk. */
export const scanUsage = (root: string, options: ScanOptions = {}): Effect.Effect<UsageReport, ScanError> =>
  Effect.tryPromise({
    try: (signal) => {
      const outer = options.signal
      const both = outer === undefined ? signal : AbortSignal.any([signal, outer])
      if (!root.startsWith("/")) return Promise.reject(new ScanError({ root, reason: "the path must be absolute" }))
      return walk(root, { ...options, signal: both })
    },
    catch: (error) => (error instanceof ScanError ? error : new ScanError({ root, reason: reasonOf(error) }))
  })
