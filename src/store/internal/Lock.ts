/**
 * The store's write lock: one add, forget, gc or index rebuild at a time,
 * across processes. gc deletes chunks no snapshot references, so it must
 * not run while an add has written packs whose snapshot does not exist yet.
 *
 * The lock is the file `<store>/lock`, holding JSON {pid, host, operation,
 * since, nonce}. It appears atomically with its content (written under a
 * temporary name, then hard-linked to `lock`, which fails if it exists). A
 * lock whose holder is a process of this host that no longer runs was left
 * by a crash and is taken over; any other lock is respected.
 */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Result } from "effect"
import { errnoOf, reasonOf } from "../../support/files.ts"
import { RepoLocked, StoreIoError } from "../Errors.ts"
import { io, readBytes, temporaryName } from "./fs.ts"

export const LOCK_FILE = "lock"

interface LockRecord {
  readonly pid: number
  readonly host: string
  readonly operation: string
  readonly since: string
  readonly nonce: string
}

const parseLock = (bytes: Uint8Array): LockRecord | undefined => {
  const parsed = Result.try(() => JSON.parse(new TextDecoder().decode(bytes)) as Partial<LockRecord>)
  if (Result.isFailure(parsed)) return undefined
  const record = parsed.success
  return typeof record.pid === "number" && typeof record.host === "string" && typeof record.nonce === "string"
    ? { pid: record.pid, host: record.host, operation: String(record.operation), since: String(record.since), nonce: record.nonce }
    : undefined
}

/** Whether process `pid` of this host still runs (EPERM: it runs, as another user). */
const running = (pid: number): boolean => {
  const probe = Result.try(() => process.kill(pid, 0))
  return Result.isSuccess(probe) || errnoOf(probe.failure) !== "ESRCH"
}

const describe = (record: LockRecord | undefined): string =>
  record === undefined
    ? "an unreadable lock file"
    : `${record.operation} (pid ${record.pid} on host ${record.host}, since ${record.since})`

/** One attempt to create the lock; false when it exists. */
const tryCreate = (file: string, content: Uint8Array): Effect.Effect<boolean, StoreIoError> => {
  const temporary = temporaryName(file)
  return Effect.gen(function*() {
    yield* io("write lock", temporary, () => fs.writeFile(temporary, content, { mode: 0o600 }))
    return yield* Effect.tryPromise({ try: () => fs.link(temporary, file), catch: (error) => error }).pipe(
      Effect.as(true),
      Effect.catch((error) =>
        errnoOf(error) === "EEXIST"
          ? Effect.succeed(false)
          : Effect.fail(new StoreIoError({ operation: "create lock", file, reason: reasonOf(error) }))
      )
    )
  }).pipe(Effect.ensuring(Effect.ignore(io("remove temporary lock", temporary, () => fs.rm(temporary, { force: true })))))
}

const acquire = (dir: string, operation: string, now: () => Date): Effect.Effect<LockRecord, RepoLocked | StoreIoError> =>
  Effect.gen(function*() {
    const file = path.join(dir, LOCK_FILE)
    const record: LockRecord = {
      pid: process.pid,
      host: os.hostname(),
      operation,
      since: now().toISOString(),
      nonce: randomBytes(8).toString("hex")
    }
    const content = new TextEncoder().encode(JSON.stringify(record))
    for (let attempt = 0; attempt < 3; attempt++) {
      if (yield* tryCreate(file, content)) return record
      const existing = yield* readBytes("read lock", file)
      if (existing === undefined) continue // released meanwhile
      const holder = parseLock(existing)
      const stale = holder !== undefined && holder.host === record.host && holder.pid !== process.pid && !running(holder.pid)
      if (!stale) return yield* Effect.fail(new RepoLocked({ dir, holder: describe(holder) }))
      yield* io("remove stale lock", file, () => fs.rm(file, { force: true }))
    }
    return yield* Effect.fail(new RepoLocked({ dir, holder: "another process (the lock kept changing hands)" }))
  })

const release = (dir: string, record: LockRecord): Effect.Effect<void> =>
  Effect.ignore(Effect.gen(function*() {
    const file = path.join(dir, LOCK_FILE)
    const current = yield* readBytes("read lock", file)
    // Only our own lock: a lock taken over as stale is not ours to delete.
    if (current !== undefined && parseLock(current)?.nonce === record.nonce) {
      yield* io("release lock", file, () => fs.rm(file, { force: true }))
    }
  }))

/** Runs `use` holding the store's lock; the lock is released however `use` ends. */
export const withLock = <A, E, R>(
  dir: string,
  operation: string,
  use: Effect.Effect<A, E, R>,
  now: () => Date = () => new Date()
): Effect.Effect<A, E | RepoLocked | StoreIoError, R> =>
  Effect.acquireUseRelease(acquire(dir, operation, now), () => use, (record) => release(dir, record))
