/**
 * The store's locks, across processes (docs/store-format.md §7.4).
 *
 * The write lock: one add, forget, gc or index rebuild at a time. It is the
 * file `<store>/lock`, holding JSON {pid, start, host, operation, since,
 * nonce}; it appears atomically with its content (the Files port's atomic
 * write without replace, which fails if `lock` exists).
 *
 * Read locks: each reader (restore, verify, list, stats, snapshot) writes
 * its own record `<store>/locks/<pid>-<nonce>` before it reads, and deletes
 * it after. gc and forget, the writers that delete files, refuse to run
 * while a live reader holds one; a reader refuses to start while gc or
 * forget holds the write lock. Both sides write their own record first and
 * look for the other's second, so of a reader and a gc starting together at
 * least one sees the other and backs off: never both run.
 *
 * A record whose holder is a process of this host that no longer runs —
 * its pid is gone, or the pid now belongs to a process started at another
 * time (`start`, field 22 of /proc/PID/stat: pid reuse) — was left by a
 * crash and is broken; any other record is respected. This is a pid-file
 * scheme, not flock(2): Node has no flock, Bun has it only through bun:ffi
 * (which the Node-run tests and the Node 20 fallback cannot load), and these
 * records also name their holder in the error, which a flock cannot.
 */
import { randomBytes } from "node:crypto"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Result } from "effect"
import { Files } from "../../adapters/fs/Files.ts"
import { FileError, RepoLocked } from "../Errors.ts"
import { listDir, readBytes, removeFile } from "./fs.ts"

export const LOCK_FILE = "lock"
export const READ_LOCKS_DIR = "locks"

/** The writers that delete packs or snapshots: readers exclude them, and they exclude readers. */
const DELETING_OPERATIONS: ReadonlySet<string> = new Set(["gc", "forget"])

interface LockRecord {
  readonly pid: number
  /** The holder's start time (clock ticks after boot), when /proc tells it. */
  readonly start: string | undefined
  readonly host: string
  readonly operation: string
  readonly since: string
  readonly nonce: string
}

const parseLock = (bytes: Uint8Array): LockRecord | undefined => {
  const parsed = Result.try(() => JSON.parse(new TextDecoder().decode(bytes)) as Partial<LockRecord>)
  if (Result.isFailure(parsed) || parsed.success === null || typeof parsed.success !== "object") return undefined
  const record = parsed.success
  return typeof record.pid === "number" && typeof record.host === "string" && typeof record.nonce === "string"
    ? {
      pid: record.pid,
      start: typeof record.start === "string" ? record.start : undefined,
      host: record.host,
      operation: String(record.operation),
      since: String(record.since),
      nonce: record.nonce
    }
    : undefined
}

/** Field 22 of /proc/PID/stat (after the parenthesised name, which may hold spaces), or undefined. */
const startTimeOf = (pid: number): Effect.Effect<string | undefined, never, Files> =>
  Effect.map(Effect.orElseSucceed(readBytes(`/proc/${pid}/stat`), () => undefined), (bytes) => {
    if (bytes === undefined) return undefined
    const text = new TextDecoder().decode(bytes)
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ")
    return fields[19] // field 3 is fields[0]
  })

/** Whether process `pid` of this host still runs (EPERM: it runs, as another user). */
const running = (pid: number): boolean => {
  const probe = Result.try(() => process.kill(pid, 0))
  return Result.isSuccess(probe) || (probe.failure as { readonly code?: unknown } | undefined)?.code !== "ESRCH"
}

/** Whether `record` was left by a process of this host that is gone (or whose pid was reused). */
const isStale = (record: LockRecord): Effect.Effect<boolean, never, Files> =>
  Effect.gen(function*() {
    if (record.host !== os.hostname()) return false
    if (record.pid === process.pid) return false
    if (!running(record.pid)) return true
    if (record.start === undefined) return false
    const start = yield* startTimeOf(record.pid)
    return start !== undefined && start !== record.start
  })

const describe = (record: LockRecord | undefined): string =>
  record === undefined
    ? "an unreadable lock file"
    : `${record.operation} (pid ${record.pid} on host ${record.host}, since ${record.since})`

const newRecord = (operation: string, now: () => Date): Effect.Effect<LockRecord, never, Files> =>
  Effect.map(startTimeOf(process.pid), (start) => ({
    pid: process.pid,
    start,
    host: os.hostname(),
    operation,
    since: now().toISOString(),
    nonce: randomBytes(8).toString("hex")
  }))

const encode = (record: LockRecord) => new TextEncoder().encode(JSON.stringify(record))

/** One attempt to create `file`; false when it exists. */
const tryCreate = (file: string, content: Uint8Array): Effect.Effect<boolean, FileError, Files> =>
  Files.use((files) => files.writeAtomic(file, content, { mode: 0o600 })).pipe(
    Effect.as(true),
    Effect.catchIf((error) => error.reason === "Exists", () => Effect.succeed(false))
  )

/** The live readers' records; stale ones are deleted on the way. */
const liveReaders = (dir: string): Effect.Effect<ReadonlyArray<LockRecord | undefined>, FileError, Files> =>
  Effect.gen(function*() {
    const locksDir = path.join(dir, READ_LOCKS_DIR)
    const live: Array<LockRecord | undefined> = []
    for (const name of yield* listDir(locksDir)) {
      if (name.includes(".tmp-")) continue
      const file = path.join(locksDir, name)
      const bytes = yield* readBytes(file)
      if (bytes === undefined) continue // released meanwhile
      const record = parseLock(bytes)
      if (record !== undefined && (yield* isStale(record))) yield* removeFile(file)
      else live.push(record)
    }
    return live
  })

const acquire = (dir: string, operation: string, now: () => Date): Effect.Effect<LockRecord, RepoLocked | FileError, Files> =>
  Effect.gen(function*() {
    const file = path.join(dir, LOCK_FILE)
    const record = yield* newRecord(operation, now)
    const content = encode(record)
    for (let attempt = 0; attempt < 3; attempt++) {
      if (yield* tryCreate(file, content)) return record
      const existing = yield* readBytes(file)
      if (existing === undefined) continue // released meanwhile
      const holder = parseLock(existing)
      if (holder === undefined || !(yield* isStale(holder))) return yield* Effect.fail(new RepoLocked({ dir, holder: describe(holder) }))
      yield* removeFile(file)
    }
    return yield* Effect.fail(new RepoLocked({ dir, holder: "another process (the lock kept changing hands)" }))
  })

/** Deletes `file` if it still holds `record` (a record broken as stale is not ours to delete). */
const releaseFile = (file: string, record: LockRecord): Effect.Effect<void, never, Files> =>
  Effect.ignore(Effect.gen(function*() {
    const current = yield* readBytes(file)
    if (current !== undefined && parseLock(current)?.nonce === record.nonce) yield* removeFile(file)
  }))

/** The write lock, and for gc and forget no live reader either. */
const acquireWriter = (dir: string, operation: string, now: () => Date): Effect.Effect<LockRecord, RepoLocked | FileError, Files> =>
  Effect.gen(function*() {
    const record = yield* acquire(dir, operation, now)
    if (!DELETING_OPERATIONS.has(operation)) return record
    const readers = yield* Effect.onError(liveReaders(dir), () => releaseFile(path.join(dir, LOCK_FILE), record))
    if (readers.length === 0) return record
    yield* releaseFile(path.join(dir, LOCK_FILE), record)
    return yield* Effect.fail(
      new RepoLocked({
        dir,
        holder: `${readers.length === 1 ? "a reader" : `${readers.length} readers`}: ${readers.map(describe).join("; ")} (${operation} deletes files they may read)`
      })
    )
  })

/** Runs `use` holding the store's write lock; the lock is released however `use` ends. */
export const withLock = <A, E, R>(
  dir: string,
  operation: string,
  use: Effect.Effect<A, E, R>,
  now: () => Date = () => new Date()
): Effect.Effect<A, E | RepoLocked | FileError, Files | R> =>
  Effect.acquireUseRelease(acquireWriter(dir, operation, now), () => use, (record) => releaseFile(path.join(dir, LOCK_FILE), record))

/**
 * A reader's record, written before it reads; fails with RepoLocked naming
 * the holder while gc or forget holds the write lock. Undefined when the
 * store is on a read-only filesystem (nothing can delete from it then).
 */
const acquireReader = (dir: string, operation: string, now: () => Date): Effect.Effect<string | undefined, RepoLocked | FileError, Files> =>
  Effect.gen(function*() {
    const record = yield* newRecord(operation, now)
    const locksDir = path.join(dir, READ_LOCKS_DIR)
    const file = path.join(locksDir, `${record.pid}-${record.nonce}`)
    const files = yield* Files
    const made = yield* files.makeDirectory(locksDir, { recursive: true, mode: 0o700 }).pipe(
      Effect.andThen(files.writeAtomic(file, encode(record), { mode: 0o600 })),
      Effect.as(true),
      Effect.catchIf((error) => error.reason === "ReadOnly", () => Effect.succeed(false))
    )
    if (!made) return undefined
    // Written first, checked second: a gc that took the lock meanwhile sees this record and backs off.
    const existing = yield* Effect.onError(readBytes(path.join(dir, LOCK_FILE)), () => Effect.ignore(removeFile(file)))
    const holder = existing === undefined ? undefined : parseLock(existing)
    const blocking = existing !== undefined &&
      (holder === undefined ? true : DELETING_OPERATIONS.has(holder.operation) && !(yield* isStale(holder)))
    if (blocking) {
      yield* Effect.ignore(removeFile(file))
      return yield* Effect.fail(new RepoLocked({ dir, holder: describe(holder) }))
    }
    return file
  })

/**
 * Runs `use` holding a read lock: gc and forget cannot delete what it reads
 * until it ends (however it ends). Any number of readers, and an add, may run
 * at once.
 */
export const withReadLock = <A, E, R>(
  dir: string,
  operation: string,
  use: Effect.Effect<A, E, R>,
  now: () => Date = () => new Date()
): Effect.Effect<A, E | RepoLocked | FileError, Files | R> =>
  Effect.acquireUseRelease(
    acquireReader(dir, operation, now),
    () => use,
    (file) => (file === undefined ? Effect.void : Effect.ignore(removeFile(file)))
  )
