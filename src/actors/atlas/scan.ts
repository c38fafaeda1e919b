/**
 * ATLAS's space scan, on the Files port's walk: iterative (never recursive,
 * so depth cannot blow the stack), lstat() of every entry and never following
 * symlinks, on the root's filesystem unless asked, hard links counted once.
 * It stops at an entry or time budget, or when cancelled, with a partial
 * report that says so. Unreadable entries are counted and sampled, never fatal.
 *
 * Names that are not valid UTF-8 cannot be reached through a string path;
 * they show up in `skipped` (as the replacement character) rather than abort.
 */
import { Effect } from "effect"
import { FileError, Files } from "../../adapters/fs/Files.ts"
import type { UsageReport } from "./messages.ts"

export type { UsageReport } from "./messages.ts"

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

const MAX_SKIPPED_EXAMPLES = 20

const skipReasonOf = (error: FileError): string =>
  error.reason === "PermissionDenied" ? "permission denied" : error.reason === "NotFound" ? "vanished during the scan" : error.code ?? error.message

interface Frame {
  readonly path: string
  bytes: number
}

/**
 * Scans `root` (an absolute directory path) within the options' bounds;
 * interruption stops the walk. Fails only when the root cannot be scanned.
 */
export const scanUsage = (root: string, options: ScanOptions = {}): Effect.Effect<UsageReport, FileError, Files> =>
  Effect.gen(function*() {
    if (!root.startsWith("/")) return yield* Effect.fail(new FileError({ reason: "Other", operation: "scan", path: root, detail: "the path must be absolute" }))
    const files = yield* Files
    const now = options.now ?? (() => performance.now())
    const started = now()
    const maxEntries = options.maxEntries ?? 1_000_000
    const maxMs = options.maxMs ?? 30_000
    const top = options.top ?? 20

    let entries = 0, regularFiles = 0, directories = 1, symlinks = 0, others = 0, apparent = 0, allocated = 0
    const largestFiles = new TopK(top)
    const largestDirectories = new TopK(top)
    const byType = new Map<string, { files: number; bytes: number }>()
    const byExtension = new Map<string, { files: number; bytes: number }>()
    const skipped = { count: 0, examples: [] as Array<{ path: string; reason: string }> }
    const otherFilesystems: Array<string> = []
    const stack: Array<Frame> = [{ path: root, bytes: 0 }]
    let stoppedBecause: UsageReport["stoppedBecause"]

    yield* files.walk(root, {
      entry: ({ info, name, otherFilesystem, path, seenBefore }) => {
        if (options.signal?.aborted === true) stoppedBecause = "cancelled"
        else if (entries >= maxEntries) stoppedBecause = "entry budget"
        else if ((entries & 255) === 0 && now() - started > maxMs) stoppedBecause = "time budget"
        if (stoppedBecause !== undefined) return false
        entries++
        if ((entries & 1023) === 0) options.onProgress?.({ entries, bytes: apparent })
        if (info.type === "directory") {
          directories++
          if (otherFilesystem && options.crossFilesystems !== true) otherFilesystems.push(path)
          else stack.push({ path, bytes: 0 })
          return true
        }
        // A second name of a file already counted is neither another file nor more bytes.
        if (seenBefore) return true
        if (info.type === "symlink") symlinks++
        else if (info.type === "file") regularFiles++
        else others++
        apparent += info.size
        allocated += info.allocated
        stack.at(-1)!.bytes += info.size
        if (info.type !== "file") return true
        largestFiles.offer(path, info.size)
        const extension = extensionOf(name)
        const type = CATEGORY_OF.get(extension) ?? "other"
        const t = byType.get(type) ?? { files: 0, bytes: 0 }
        t.files++
        t.bytes += info.size
        byType.set(type, t)
        const e = byExtension.get(extension) ?? { files: 0, bytes: 0 }
        e.files++
        e.bytes += info.size
        byExtension.set(extension, e)
        return true
      },
      // A stopped walk still leaves, and so totals, the directories it was inside.
      leave: () => {
        const frame = stack.pop()!
        largestDirectories.offer(frame.path, frame.bytes)
        const parent = stack.at(-1)
        if (parent !== undefined) parent.bytes += frame.bytes
      },
      unreadable: (path, error) => {
        skipped.count++
        if (skipped.examples.length < MAX_SKIPPED_EXAMPLES) skipped.examples.push({ path, reason: skipReasonOf(error) })
      }
    }, { crossFilesystems: options.crossFilesystems ?? false }).pipe(
      Effect.mapError((error) => new FileError({ reason: error.reason, operation: "scan", path: root, ...(error.code === undefined ? {} : { code: error.code }) }))
    )
    return {
      root,
      complete: stoppedBecause === undefined,
      ...(stoppedBecause === undefined ? {} : { stoppedBecause }),
      entries,
      files: regularFiles,
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
  })
