/**
 * Memory kept under the state directory: `<dir>/<collection>.snapshot` (the
 * whole collection, replaced atomically) and `<dir>/<collection>.journal`
 * (every change since, fdatasynced before it is acknowledged). Open journals
 * are closed, and changed collections snapshotted, when the layer's scope
 * closes (daemon shutdown).
 */
import { mkdir, readdir } from "node:fs/promises"
import { join } from "node:path"
import { Effect, Layer, Option, type Scope } from "effect"
import { Memory, type MemoryShape } from "./Memory.ts"
import { type Journal, openJournal, repairTornTail, replayJournal } from "./persist/Journal.ts"
import { readSnapshot, removeStaleTemps, writeSnapshot } from "./persist/Snapshot.ts"
import { makeStore, type Storage, StorageFailure } from "./Store.ts"

const SNAPSHOT = ".snapshot"
const JOURNAL = ".journal"

const failure = (error: { readonly message: string }, unavailable = false) =>
  new StorageFailure({ reason: error.message, unavailable })

export const makeFileStorage = (dir: string): Effect.Effect<Storage & { readonly close: Effect.Effect<void> }> =>
  Effect.sync(() => {
    const journals = new Map<string, Journal>()
    const files = (name: string) => ({ snapshot: join(dir, name + SNAPSHOT), journal: join(dir, name + JOURNAL) })
    const ensureDir = Effect.tryPromise({
      try: () => mkdir(dir, { recursive: true, mode: 0o700 }),
      catch: (error) => new StorageFailure({ reason: `cannot create ${dir}: ${String(error)}`, unavailable: false })
    })

    const journalFor = (name: string) =>
      Effect.gen(function*() {
        const open = journals.get(name)
        if (open !== undefined) return open
        yield* ensureDir
        const journal = yield* Effect.mapError(openJournal(files(name).journal), (error) => failure(error, error._tag === "JournalCorrupt"))
        journals.set(name, journal)
        return journal
      })

    const storage: Storage & { readonly close: Effect.Effect<void> } = {
      scratchDir: dir,
      list: Effect.tryPromise({
        try: () => readdir(dir),
        catch: (error) => error
      }).pipe(
        Effect.map((entries) => [
          ...new Set(
            entries.flatMap((entry) =>
              entry.endsWith(SNAPSHOT) ? [entry.slice(0, -SNAPSHOT.length)] : entry.endsWith(JOURNAL) ? [entry.slice(0, -JOURNAL.length)] : []
            )
          )
        ]),
        Effect.catch((error) =>
          (error as NodeJS.ErrnoException).code === "ENOENT"
            ? Effect.succeed([])
            : Effect.fail(new StorageFailure({ reason: `cannot list ${dir}: ${String(error)}`, unavailable: false }))
        )
      ),
      load: (name) =>
        Effect.gen(function*() {
          const { snapshot, journal } = files(name)
          yield* Effect.mapError(removeStaleTemps(dir, name + SNAPSHOT), (error) => failure(error))
          const loaded = yield* Effect.mapError(readSnapshot(snapshot), (error) => failure(error, error._tag !== "SnapshotIoError"))
          const replay = yield* Effect.mapError(replayJournal(journal), (error) => failure(error, error._tag === "JournalCorrupt"))
          if (Option.isSome(replay.tornTail)) {
            yield* Effect.mapError(repairTornTail(journal, replay.tornTail.value.offset), (error) => failure(error))
          }
          return {
            snapshot: loaded,
            journal: replay.records,
            tornTail: Option.map(replay.tornTail, (torn) =>
              `${journal} ended with a torn record at line ${torn.line} (${torn.bytes} bytes: ${torn.reason}), cut away`)
          }
        }),
      append: (name, records) =>
        Effect.flatMap(journalFor(name), (journal) => Effect.mapError(journal.append(records), (error) => failure(error))),
      snapshot: (name, contents) =>
        Effect.gen(function*() {
          yield* ensureDir
          yield* Effect.mapError(writeSnapshot(files(name).snapshot, contents), (error) => failure(error))
          const journal = yield* journalFor(name)
          yield* Effect.mapError(journal.truncate(), (error) => failure(error))
        }),
      close: Effect.forEach([...journals.values()], (journal) => Effect.ignore(journal.close()), { discard: true })
    }
    return storage
  })

/** The Memory service over `<dir>`; its scope's end snapshots what changed and closes the journals. */
export const makeMemoryLive = (dir: string): Effect.Effect<MemoryShape, never, Scope.Scope> =>
  Effect.gen(function*() {
    const storage = yield* makeFileStorage(dir)
    const memory = yield* makeStore(storage, { warn: (message) => Effect.logWarning(message) })
    yield* Effect.addFinalizer(() =>
      memory.flush.pipe(
        Effect.catch((error) => Effect.logError(`memory: could not snapshot on shutdown: ${error.message}`)),
        Effect.andThen(storage.close)
      )
    )
    return memory
  })

export const MemoryLive = (dir: string): Layer.Layer<Memory> => Layer.effect(Memory, makeMemoryLive(dir))
