/**
 * The store's write lock: one add, forget, gc or index rebuild at a time,
 * across processes. gc deletes chunks no snapshot references, so it must
 * not run while an add has written packs whose snapshot does not exist yet.
 *
 * The lock is the file `<store>/lock`, holding JSON {pid, host, operation,
 * since, nonce}. It appears atomically with its content: the Files port's
 * atomic write without replace, which fails if `lock` exists. A
 * lock whose holder is a process of this host that no longer runs was left
 * by a crash and is taken over; any other lock is respected.
 */
import { randomBytes } from "node:crypto"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Result } from "effect"
import { Files } from "../../adapters/fs/Files.ts"
import { RepoLocked, FileError } from "../Errors.ts"
import { readBytes, removeFile } from "./fs.ts"

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
  return Result.isSuccess(probe) || (probe.failure as { readonly code?: unknown } | undefined)?.code !== "ESRCH"
}

const describe = (record: LockRecord | undefined): string =>
  record === undefined
    ? "an unreadable lock file"
    : `${record.operation} (pid ${record.pid} on host ${record.host}, since ${record.since})`

/** One attempt to create the lock; false when it exists. */
const tryCreate = (file: string, content: Uint8Array): Effect.Effect<boolean, FileError, Files> =>
  Files.use((files) => files.writeAtomic(file, content, { mode: 0o600 })).pipe(
    Effect.as(true),
    Effect.catchIf((error) => error.reason === "Exists", () => Effect.succeed(false))
  )

const acquire = (dir: string, operation: string, now: () => Date): Effect.Effect<LockRecord, RepoLocked | FileError, Files> =>
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
      const existing = yield* readBytes(file)
      if (existing === undefined) continue // released meanwhile
      const holder = parseLock(existing)
      const stale = holder !== undefined && holder.host === record.host && holder.pid !== process.pid && !running(holder.pid)
      if (!stale) return yield* Effect.fail(new RepoLocked({ dir, holder: describe(holder) }))
      yield* removeFile(file)
    }
    return yield* Effect.fail(new RepoLocked({ dir, holder: "another process (the lock kept changing hands)" }))
  })

const release = (dir: string, record: LockRecord): Effect.Effect<void, never, Files> =>
  Effect.ignore(Effect.gen(function*() {
    const file = path.join(dir, LOCK_FILE)
    const current = yield* readBytes(file)
    // Only our own lock: a lock taken over as stale is not ours to delete.
    if (current !== undefined && parseLock(current)?.nonce === record.nonce) {
      yield* removeFile(file)
    }
  }))

/** Runs `use` holding the store's lock; the lock is released however `use` ends. */
export const withLock = <A, E, R>(
  dir: string,
  operation: string,
  use: Effect.Effect<A, E, R>,
  now: () => Date = () => new Date()
): Effect.Effect<A, E | RepoLocked | FileError, Files | R> =>
  Effect.acquireUseRelease(acquire(dir, operation, now), () => use, (record) => release(dir, record))
