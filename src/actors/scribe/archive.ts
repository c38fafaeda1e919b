/**
 * The report archive: one JSON file per report under the archive directory
 * (`<state_dir>/reports/<id>.json`, written atomically and durably through the
 * Files port) and an index of them (`index.json`, rewritten atomically after
 * each change). Bounded: once there are more than `keep` reports, or they take
 * more than `maxBytes`, the oldest go (the newest always stays). The index is
 * a convenience, not the proof: each report's SHA-256 is in LEDGER.
 */
import { createHash } from "node:crypto"
import { Effect, Exit, Schema } from "effect"
import { type FileError, type FilesShape, listIfPresent, removeStaleTemporaries, unlessMissing } from "../../adapters/fs/Files.ts"
import { accessOf } from "./build.ts"
import { REPORT_ID, ReportDocument, ReportEntry, type ReportKind } from "./messages.ts"

export const INDEX_FILE = "index.json"
/** A report is a few kilobytes; a file much larger is not one of ours. */
export const MAX_REPORT_BYTES = 16 * 1024 * 1024

export const sha256Hex = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex")

const IndexFile = Schema.Struct({ version: Schema.Literal(1), reports: Schema.Array(ReportEntry) })
const decodeIndex = Schema.decodeUnknownExit(Schema.fromJsonString(IndexFile))
export const decodeDocument = Schema.decodeUnknownExit(Schema.fromJsonString(ReportDocument))

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** `health-20261207T070000Z` from a kind and a time. */
export const idFor = (kind: ReportKind, now: number, taken: (id: string) => boolean): string => {
  const stamp = new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "")
  const base = `${kind}-${stamp}`
  if (!taken(base)) return base
  for (let n = 2; ; n++) if (!taken(`${base}-${n}`)) return `${base}-${n}`
}

export interface ArchiveOptions {
  readonly dir: string
  readonly keep: number
  readonly maxBytes: number
}

export interface Archive {
  readonly entries: () => ReadonlyArray<ReportEntry>
  readonly find: (id: string) => ReportEntry | undefined
  readonly pathOf: (id: string) => string
  /** Writes the report's bytes (atomically), then `record` it (LEDGER), then the index; drops the oldest beyond the bounds. */
  readonly add: (
    entry: Omit<ReportEntry, "sha256" | "bytes" | "ledger">,
    bytes: Uint8Array,
    record: (sha256: string) => Effect.Effect<{ readonly ledger: ReportEntry["ledger"]; readonly ledgerProblem?: string }>
  ) => Effect.Effect<ReportEntry, FileError>
  /** The file's bytes, or undefined when it is gone. */
  readonly read: (id: string) => Effect.Effect<Uint8Array | undefined, FileError>
  readonly bytes: () => number
}

/** Opens (or creates) the archive: reads the index and adopts report files it does not list (a crash between the two writes). */
export const openArchive = (files: FilesShape, options: ArchiveOptions): Effect.Effect<Archive, FileError> =>
  Effect.gen(function*() {
    const { dir } = options
    const pathOf = (id: string) => `${dir}/${id}.json`
    const indexPath = `${dir}/${INDEX_FILE}`
    yield* files.makeDirectory(dir, { recursive: true, mode: 0o750 })
    yield* removeStaleTemporaries(files, dir)
    const indexBytes = yield* unlessMissing(files.readFile(indexPath, { maxBytes: MAX_REPORT_BYTES }))
    const decoded = indexBytes === undefined ? undefined : decodeIndex(decoder.decode(indexBytes))
    if (decoded !== undefined && Exit.isFailure(decoded)) yield* Effect.logWarning(`the report index ${indexPath} does not parse; it is rebuilt from the report files`)
    const listed = decoded !== undefined && Exit.isSuccess(decoded) ? decoded.value.reports : []
    const names = new Set(yield* listIfPresent(files, dir))
    // Entries whose file is gone are dropped; files the index does not list are adopted, without a LEDGER record.
    let entries: Array<ReportEntry> = listed.filter((e) => names.has(`${e.id}.json`))
    for (const name of names) {
      const id = name.replace(/\.json$/, "")
      if (name === INDEX_FILE || !name.endsWith(".json") || !REPORT_ID.test(id) || entries.some((e) => e.id === id)) continue
      const bytes = yield* files.readFile(pathOf(id), { maxBytes: MAX_REPORT_BYTES }).pipe(Effect.option)
      if (bytes._tag === "None") continue
      const document = decodeDocument(decoder.decode(bytes.value))
      if (Exit.isFailure(document)) continue
      entries.push({
        id,
        kind: document.value.kind,
        generatedAt: document.value.generatedAt,
        requestedBy: document.value.requestedBy,
        status: document.value.status,
        sha256: sha256Hex(bytes.value),
        bytes: bytes.value.byteLength,
        ledger: null,
        ledgerProblem: "found in the archive without an index entry: its LEDGER record was not looked up",
        access: accessOf(document.value)
      })
    }
    entries.sort((a, b) => a.generatedAt.localeCompare(b.generatedAt) || a.id.localeCompare(b.id))

    const writeIndex = Effect.suspend(() =>
      files.writeAtomic(indexPath, encoder.encode(`${JSON.stringify({ version: 1, reports: entries }, null, 2)}\n`), { replace: true, mode: 0o640 })
    )
    const total = () => entries.reduce((sum, e) => sum + e.bytes, 0)

    const evict = Effect.gen(function*() {
      while (entries.length > 1 && (entries.length > options.keep || total() > options.maxBytes)) {
        const oldest = entries[0]!
        yield* files.remove(pathOf(oldest.id))
        entries = entries.slice(1)
      }
    })

    const archive: Archive = {
      entries: () => entries,
      find: (id) => entries.find((e) => e.id === id),
      pathOf,
      bytes: total,
      add: (partial, bytes, record) =>
        Effect.gen(function*() {
          const sha256 = sha256Hex(bytes)
          yield* files.writeAtomic(pathOf(partial.id), bytes, { mode: 0o640 })
          const recorded = yield* record(sha256)
          const entry: ReportEntry = {
            ...partial,
            sha256,
            bytes: bytes.byteLength,
            ledger: recorded.ledger,
            ...(recorded.ledgerProblem === undefined ? {} : { ledgerProblem: recorded.ledgerProblem })
          }
          entries = [...entries, entry]
          yield* evict
          yield* writeIndex
          yield* files.syncDirectory(dir)
          return entry
        }),
      read: (id) => unlessMissing(files.readFile(pathOf(id), { maxBytes: MAX_REPORT_BYTES }))
    }
    return archive
  })
