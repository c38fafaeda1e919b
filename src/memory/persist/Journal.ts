/**
 * A MNEMONIC journal: the append-only log of a collection's operations since
 * its last snapshot. One record per line:
 *
 *   <8 lowercase hex digits: CRC-32 of the JSON's UTF-8 bytes> <JSON>\n
 *
 * The JSON is the caller's value as JSON.stringify writes it (never a raw
 * newline); the journal adds nothing else, so sequence numbers are the
 * caller's. An append is one write followed by fdatasync: the caller batches
 * records into one append to commit them together.
 *
 * A crash mid-append can leave a torn tail: a last line without its newline,
 * or damaged lines after which no good line follows. Replay reports it
 * (`tornTail`) with the records before it, and `repairTornTail` cuts it off.
 * A damaged line followed by a good one was not torn by a crash: that is
 * corruption, and replay refuses it. Opening for append refuses a file with
 * an unrepaired tail, because a record appended after it would turn the tail
 * into corruption.
 */
import { Effect, Exit, Option, Result, Schema, Scope, Semaphore } from "effect"
import { type AppendFile, FileError, Files, unlessMissing } from "../../adapters/fs/Files.ts"
import { crc32, toHex } from "./Crc32.ts"

/** A damaged record that a crash cannot explain, or (when opening for append) a torn tail not yet repaired. */
export class JournalCorrupt extends Schema.TaggedError<JournalCorrupt>()("JournalCorrupt", {
  file: Schema.String,
  /** 1-based line number of the damaged record. */
  line: Schema.Number,
  /** Byte offset where that line starts. */
  offset: Schema.Number,
  reason: Schema.String
}) {
  override get message() {
    return `journal ${this.file} is corrupt at line ${this.line} (byte ${this.offset}): ${this.reason}`
  }
}

/** What a crash mid-append left at the end of the file. */
export interface TornTail {
  /** Where the first damaged line starts: `repairTornTail(path, offset)` keeps everything before it. */
  readonly offset: number
  /** How many bytes from `offset` to the end of the file. */
  readonly bytes: number
  /** 1-based line number of the first damaged line. */
  readonly line: number
  readonly reason: string
}

export interface Replay {
  readonly records: ReadonlyArray<unknown>
  readonly tornTail: Option.Option<TornTail>
}

export interface Journal {
  readonly path: string
  /** Appends the records as one write, then fdatasync: they are durable once this succeeds. */
  readonly append: (records: ReadonlyArray<unknown>) => Effect.Effect<void, FileError>
  /** Empties the file durably (after a snapshot has made its records redundant). */
  readonly truncate: () => Effect.Effect<void, FileError>
  /** Closes the file; later calls do nothing, later appends fail. */
  readonly close: () => Effect.Effect<void>
  /** Bytes in the file. */
  readonly size: number
  /** Records in the file. */
  readonly records: number
}

const NEWLINE = 0x0a
const SPACE = 0x20
const CRC_DIGITS = 8
const HEX_DIGIT = /^[0-9a-f]{8}$/
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true })
const encoder = new TextEncoder()

/**
 * The lines for `records`, as one buffer. A record JSON cannot hold is a bug
 * in the caller (validate records before journaling them): it dies naming the
 * file and the record's index.
 */
const encodeLines = (file: string, records: ReadonlyArray<unknown>): Effect.Effect<Uint8Array> => {
  const lines: Array<Uint8Array> = []
  let total = 0
  for (const [index, record] of records.entries()) {
    const json = Result.try(() => JSON.stringify(record) as string | undefined)
    if (Result.isFailure(json) || json.success === undefined) {
      const why = Result.isFailure(json) ? String(json.failure) : `a ${typeof record} has no JSON form`
      return Effect.die(new Error(`journal ${file}: record ${index} is not JSON-serializable (${why})`))
    }
    const body = encoder.encode(json.success)
    const line = new Uint8Array(CRC_DIGITS + 1 + body.byteLength + 1)
    line.set(encoder.encode(toHex(crc32(body))), 0)
    line[CRC_DIGITS] = SPACE
    line.set(body, CRC_DIGITS + 1)
    line[line.byteLength - 1] = NEWLINE
    lines.push(line)
    total += line.byteLength
  }
  const all = new Uint8Array(total)
  let offset = 0
  for (const line of lines) {
    all.set(line, offset)
    offset += line.byteLength
  }
  return Effect.succeed(all)
}

/** Checks one complete line `bytes[start, end)` (newline excluded) and parses its JSON. */
const checkLine = (bytes: Uint8Array, start: number, end: number): Result.Result<unknown, string> => {
  const crcText = utf8.decode(bytes.subarray(start, Math.min(end, start + CRC_DIGITS)))
  if (end - start < CRC_DIGITS + 2 || bytes[start + CRC_DIGITS] !== SPACE || !HEX_DIGIT.test(crcText)) {
    return Result.fail("malformed line: expected '<8 hex digits of CRC-32> <JSON>'")
  }
  const stored = Number.parseInt(crcText, 16)
  const computed = crc32(bytes, start + CRC_DIGITS + 1, end)
  if (stored !== computed) {
    return Result.fail(`CRC mismatch: the line records ${crcText}, its JSON has ${toHex(computed)}`)
  }
  const value = Result.try(() => JSON.parse(utf8.decode(bytes.subarray(start + CRC_DIGITS + 1, end))) as unknown)
  return Result.isFailure(value)
    ? Result.fail("the CRC matches but the JSON does not parse")
    : Result.succeed(value.success)
}

interface Scan {
  readonly records: ReadonlyArray<unknown>
  readonly tornTail: Option.Option<TornTail>
}

/** Reads every line; a damaged line followed by a good one fails with that line. Never throws. */
const scanJournal = (file: string, bytes: Uint8Array): Result.Result<Scan, JournalCorrupt> => {
  const records: Array<unknown> = []
  let firstDamage: { readonly line: number; readonly offset: number; readonly reason: string } | undefined
  let damagedLines = 0
  let offset = 0
  let line = 0
  while (offset < bytes.byteLength) {
    line++
    const newline = bytes.indexOf(NEWLINE, offset)
    const checked = newline === -1
      ? Result.fail("no trailing newline (an append cut short)")
      : checkLine(bytes, offset, newline)
    if (Result.isSuccess(checked)) {
      if (firstDamage !== undefined) {
        return Result.fail(
          new JournalCorrupt({
            file,
            ...firstDamage,
            reason: `${firstDamage.reason}; a good record follows at line ${line}, so this is not a torn append`
          })
        )
      }
      records.push(checked.success)
    } else {
      damagedLines++
      firstDamage ??= { line, offset, reason: checked.failure }
    }
    offset = newline === -1 ? bytes.byteLength : newline + 1
  }
  const tornTail = firstDamage === undefined
    ? Option.none()
    : Option.some({
      offset: firstDamage.offset,
      bytes: bytes.byteLength - firstDamage.offset,
      line: firstDamage.line,
      reason: damagedLines > 1
        ? `${firstDamage.reason} (and ${damagedLines - 1} more damaged line(s) after it)`
        : firstDamage.reason
    })
  return Result.succeed({ records, tornTail })
}

/**
 * Every record in the journal at `file`, oldest first; none when it does not
 * exist. A torn tail is reported, not dropped silently: log it, then call
 * `repairTornTail` before opening the journal for append.
 */
export const replayJournal = (file: string): Effect.Effect<Replay, JournalCorrupt | FileError, Files> =>
  Effect.gen(function*() {
    const bytes = yield* unlessMissing((yield* Files).readFile(file))
    if (bytes === undefined) return { records: [], tornTail: Option.none() }
    const scan = scanJournal(file, bytes)
    if (Result.isFailure(scan)) return yield* Effect.fail(scan.failure)
    return { records: scan.success.records, tornTail: scan.success.tornTail }
  })

/** Cuts the journal back to `offset` (a `TornTail.offset`) durably. */
export const repairTornTail = (file: string, offset: number): Effect.Effect<void, FileError, Files> => {
  const refuse = (detail: string) => Effect.fail(new FileError({ reason: "Other", operation: "repair torn tail of", path: file, detail }))
  return Effect.scoped(Effect.gen(function*() {
    const log = yield* (yield* Files).openAppend(file, { create: false })
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > log.size) {
      return yield* refuse(`offset ${offset} is not within the file (${log.size} bytes)`)
    }
    if (offset === log.size) return
    if (offset > 0) {
      const before = new Uint8Array(1)
      yield* log.readAt(before, offset - 1)
      if (before[0] !== NEWLINE) return yield* refuse(`offset ${offset} is not the start of a line`)
    }
    yield* log.truncate(offset)
  }))
}

/**
 * Opens the journal at `file` for append, creating it (mode 0600) if missing;
 * its directory must exist. The whole file is checked first: a torn tail not
 * yet repaired, or a damaged line, is a JournalCorrupt. Close it with
 * `close()`, or use `openJournalScoped`.
 */
export const openJournal = (file: string): Effect.Effect<Journal, FileError | JournalCorrupt, Files> =>
  Effect.gen(function*() {
    const files = yield* Files
    const scope = yield* Scope.make()
    const opened = yield* Effect.gen(function*() {
      const log = yield* files.openAppend(file).pipe(Scope.provide(scope))
      const bytes = yield* files.readFile(file)
      const scan = scanJournal(file, bytes)
      if (Result.isFailure(scan)) return yield* Effect.fail(scan.failure)
      if (Option.isSome(scan.success.tornTail)) {
        const tail = scan.success.tornTail.value
        return yield* Effect.fail(
          new JournalCorrupt({
            file,
            line: tail.line,
            offset: tail.offset,
            reason: `${tail.reason}; this torn tail was not repaired: replay the journal and call repairTornTail(path, ${tail.offset}) before appending`
          })
        )
      }
      return { log, counters: { size: bytes.byteLength, records: scan.success.records.length } }
    }).pipe(Effect.onError(() => Scope.close(scope, Exit.void)))
    return make(file, opened.log, scope, opened.counters)
  })

/** `openJournal`, closed when the scope closes. */
export const openJournalScoped = (file: string): Effect.Effect<Journal, FileError | JournalCorrupt, Files | Scope.Scope> =>
  Effect.acquireRelease(openJournal(file), (journal) => journal.close())

const make = (file: string, log: AppendFile, scope: Scope.Closeable, counters: { size: number; records: number }): Journal => {
  const lock = Semaphore.makeUnsafe(1)
  let closed = false
  /** Why the file can no longer be trusted to end where the counters say. */
  let broken: string | undefined

  const usable = (operation: string): Effect.Effect<void, FileError> =>
    closed
      ? Effect.fail(new FileError({ reason: "Closed", operation, path: file, detail: "the journal is closed" }))
      : broken !== undefined
      ? Effect.fail(new FileError({ reason: "Other", operation, path: file, detail: `${broken}; reopen the journal` }))
      : Effect.void

  // Serialized, and not interruptible once started: a write abandoned halfway would leave the
  // counters wrong and a partial line in the file.
  const exclusive = <A, E>(effect: Effect.Effect<A, E>) => Semaphore.withPermit(lock, Effect.uninterruptible(effect))

  /**
   * A failed append may have left part of its lines in the file; cutting back
   * to the last committed size keeps the next append from following a torn line.
   */
  const rollBack = (error: FileError) =>
    log.truncate(counters.size).pipe(
      Effect.catch((rollbackError) =>
        Effect.sync(() => {
          broken = `an append failed (${error.message}) and undoing it failed too (${rollbackError.message})`
        })
      ),
      Effect.andThen(Effect.fail(error))
    )

  const append = (records: ReadonlyArray<unknown>): Effect.Effect<void, FileError> =>
    records.length === 0
      ? Effect.void
      : Effect.flatMap(encodeLines(file, records), (lines) =>
        exclusive(
          Effect.gen(function*() {
            yield* usable("append to journal")
            yield* log.append(lines).pipe(Effect.catch(rollBack))
            counters.size += lines.byteLength
            counters.records += records.length
          })
        ))

  const truncate = (): Effect.Effect<void, FileError> =>
    exclusive(
      Effect.gen(function*() {
        yield* usable("truncate journal")
        yield* log.truncate(0).pipe(
          Effect.tapError((error) =>
            Effect.sync(() => {
              broken = `emptying it failed (${error.message})`
            })
          )
        )
        counters.size = 0
        counters.records = 0
      })
    )

  const close = (): Effect.Effect<void> =>
    exclusive(
      Effect.suspend(() => {
        if (closed) return Effect.void
        closed = true
        return Scope.close(scope, Exit.void)
      })
    )

  return {
    path: file,
    append,
    truncate,
    close,
    get size() {
      return counters.size
    },
    get records() {
      return counters.records
    }
  }
}
