/**
 * The daemon's journal of callers' temporary files (CallerFilesLive): each
 * output a file job writes is recorded, durably, before its first byte, and
 * struck off once it is put in place or removed. What a crash of the daemon
 * and its file helper together leaves recorded (SIGKILL to the whole
 * service, the OOM killer, a power cut) is swept at the next start, as the
 * caller whose job made it.
 *
 * A file in the state directory, one JSON object a line, each append
 * fdatasync'd: `{"open":{path,device,inode,uid,gid,groups}}` or
 * `{"closed":path}`. A line that does not decode (the torn end of a crash)
 * is skipped. The file is rewritten with only the open entries (atomically)
 * at start and once it passes `MAX_JOURNAL_BYTES` (or twice what the open
 * entries take), and at most `MAX_OPEN` entries are open at once: one more
 * is refused, so a job never writes unrecorded.
 */
import { Effect, Exit, Schema, Scope, Semaphore } from "effect"
import { type AppendFile, FileError, type FilesShape } from "./Files.ts"

const Id = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

/** One temporary file, and who made it: enough to find it again and remove it as them. */
export const JournalEntry = Schema.Struct({
  /** The file's real path when it was made (no symbolic link in it). */
  path: Schema.String,
  device: Schema.String,
  inode: Schema.String,
  uid: Id,
  gid: Id,
  groups: Schema.Array(Id)
})
export type JournalEntry = typeof JournalEntry.Type

const Line = Schema.Union([
  Schema.Struct({ open: JournalEntry }),
  Schema.Struct({ closed: Schema.String })
])
const decodeLine = Schema.decodeUnknownOption(Schema.fromJsonString(Line))
const encodeLine = (line: typeof Line.Type) => new TextEncoder().encode(`${JSON.stringify(line)}\n`)

export const MAX_JOURNAL_BYTES = 64 * 1024
export const MAX_OPEN = 1024

export interface TemporaryJournal {
  readonly file: string
  /** The entries recorded and not struck off, oldest first. */
  readonly open: () => ReadonlyArray<JournalEntry>
  /** Records `entry`, durably, before it returns. */
  readonly record: (entry: JournalEntry) => Effect.Effect<void, FileError>
  /** Strikes off the entry of `path`; one not recorded is fine. */
  readonly strike: (path: string) => Effect.Effect<void, FileError>
}

/** The open entries a journal's text says, in the order they were recorded. */
export const openEntriesOf = (text: string): ReadonlyArray<JournalEntry> => {
  const open = new Map<string, JournalEntry>()
  for (const line of text.split("\n")) {
    const record = decodeLine(line)
    if (record._tag === "None") continue
    if ("open" in record.value) open.set(record.value.open.path, record.value.open)
    else open.delete(record.value.closed)
  }
  return [...open.values()]
}

/**
 * The journal at `file` (created, mode 0600, if missing), open until the
 * scope closes. The caller sweeps what `open()` lists, then strikes it off.
 */
export const openJournal = (files: FilesShape, file: string): Effect.Effect<TemporaryJournal, FileError, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const text = new TextDecoder().decode(yield* files.readFile(file).pipe(
      Effect.catchIf((error) => error.reason === "NotFound", () => Effect.succeed(new Uint8Array(0)))
    ))
    const open = new Map(openEntriesOf(text).map((entry) => [entry.path, entry]))
    const lock = yield* Semaphore.make(1)

    // The append handle lives in its own scope, so a rewrite can swap it.
    let handleScope = yield* Scope.fork(scope)
    let appender: AppendFile = yield* Scope.provide(handleScope)(files.openAppend(file, { mode: 0o600 }))
    let size = appender.size
    /** The size right after the last rewrite: what the open entries take. */
    let compacted = 0

    /** Rewrites the file with only the open entries (atomically), and appends from there. */
    const rewrite = Effect.gen(function*() {
      yield* files.writeAtomic(file, [...open.values()].map((entry) => encodeLine({ open: entry })), { replace: true, mode: 0o600 })
      yield* Scope.close(handleScope, Exit.void)
      handleScope = yield* Scope.fork(scope)
      appender = yield* Scope.provide(handleScope)(files.openAppend(file, { mode: 0o600 }))
      size = appender.size
      compacted = size
    })

    const append = (bytes: Uint8Array) =>
      Effect.gen(function*() {
        // Rewritten when it has grown past the bound and is mostly struck-off lines (never once per append).
        if (size + bytes.byteLength > Math.max(MAX_JOURNAL_BYTES, 2 * compacted)) yield* rewrite
        yield* appender.append(bytes).pipe(
          // A failed append may leave part of a line: cut it off, so the next line starts clean.
          Effect.tapError(() => Effect.ignore(appender.truncate(size)))
        )
        size += bytes.byteLength
      })

    // What a crash left may end in a torn line, which the next append would run into: start from the open entries alone.
    if (size > 0) yield* rewrite

    return {
      file,
      open: () => [...open.values()],
      record: (entry) =>
        lock.withPermits(1)(Effect.gen(function*() {
          if (!open.has(entry.path) && open.size >= MAX_OPEN) {
            return yield* new FileError({
              reason: "TooLarge",
              operation: "record a temporary file in",
              path: file,
              detail: `${MAX_OPEN} file jobs' outputs are already being written; try again when some have finished`
            })
          }
          yield* append(encodeLine({ open: entry }))
          open.set(entry.path, entry)
        })),
      strike: (path) =>
        lock.withPermits(1)(Effect.gen(function*() {
          if (!open.has(path)) return
          yield* append(encodeLine({ closed: path }))
          open.delete(path)
        }))
    } satisfies TemporaryJournal
  })

/** A journal that could not be opened: every record is refused with the reason, so no output is written unrecorded. */
export const unavailableJournal = (file: string, reason: string): TemporaryJournal => ({
  file,
  open: () => [],
  record: () =>
    Effect.fail(new FileError({ reason: "Other", operation: "record a temporary file in", path: file, detail: `the journal could not be opened: ${reason}` })),
  strike: () => Effect.void
})
