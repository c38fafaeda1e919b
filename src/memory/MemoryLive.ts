/**
 * Memory kept under the state directory: `<dir>/<collection>.snapshot` (the
 * whole collection, replaced atomically) and `<dir>/<collection>.journal`
 * (every change since, fdatasynced before it is acknowledged), both through
 * the Files port. Open journals are closed, and changed collections
 * snapshotted, when the layer's scope closes (daemon shutdown).
 */
import { join } from "node:path"
import { Effect, Layer, Option, type Scope } from "effect"
import { type FileError, Files, listIfPresent, removeStaleTemporaries } from "../adapters/fs/Files.ts"
import { scratchFileIn } from "./internal/scratch.ts"
import { Memory, type MemoryShape } from "./Memory.ts"
import { type Journal, type JournalCorrupt, openJournal, repairTornTail, replayJournal } from "./persist/Journal.ts"
import { readSnapshot, type SnapshotCorrupt, type SnapshotVersionTooNew, writeSnapshot } from "./persist/Snapshot.ts"
import { makeStore, type Storage, StoredCollectionUnusable } from "./Store.ts"

const SNAPSHOT = ".snapshot"
const JOURNAL = ".journal"

/** Files that exist but cannot be used make the collection unavailable; the filesystem refusing is a FileError. */
const unusable = <A, R>(
  effect: Effect.Effect<A, FileError | JournalCorrupt | SnapshotCorrupt | SnapshotVersionTooNew, R>
): Effect.Effect<A, FileError | StoredCollectionUnusable, R> =>
  Effect.catchIf(
    effect,
    (error): error is JournalCorrupt | SnapshotCorrupt | SnapshotVersionTooNew => error._tag !== "FileError",
    (error) => Effect.fail(new StoredCollectionUnusable({ reason: error.message }))
  )

export const makeFileStorage = (dir: string): Effect.Effect<Storage & { readonly close: Effect.Effect<void> }, never, Files> =>
  Effect.gen(function*() {
    const files = yield* Files
    const journals = new Map<string, Journal>()
    const paths = (name: string) => ({ snapshot: join(dir, name + SNAPSHOT), journal: join(dir, name + JOURNAL) })
    const ensureDir = files.makeDirectory(dir, { recursive: true, mode: 0o700 })
    const withFiles = Effect.provideService(Files, files)

    const journalFor = (name: string) =>
      Effect.gen(function*() {
        const open = journals.get(name)
        if (open !== undefined) return open
        yield* ensureDir
        const journal = yield* unusable(openJournal(paths(name).journal)).pipe(withFiles)
        journals.set(name, journal)
        return journal
      })

    const storage: Storage & { readonly close: Effect.Effect<void> } = {
      scratch: scratchFileIn(dir),
      list: Effect.map(listIfPresent(files, dir), (entries) => [
        ...new Set(
          entries.flatMap((entry) =>
            entry.endsWith(SNAPSHOT) ? [entry.slice(0, -SNAPSHOT.length)] : entry.endsWith(JOURNAL) ? [entry.slice(0, -JOURNAL.length)] : []
          )
        )
      ]),
      load: (name) =>
        Effect.gen(function*() {
          const { journal, snapshot } = paths(name)
          yield* removeStaleTemporaries(files, dir, name + SNAPSHOT)
          const loaded = yield* unusable(readSnapshot(snapshot))
          const replay = yield* unusable(replayJournal(journal))
          if (Option.isSome(replay.tornTail)) yield* repairTornTail(journal, replay.tornTail.value.offset)
          return {
            snapshot: loaded,
            journal: replay.records,
            tornTail: Option.map(replay.tornTail, (torn) =>
              `${journal} ended with a torn record at line ${torn.line} (${torn.bytes} bytes: ${torn.reason}), cut away`)
          }
        }).pipe(withFiles),
      append: (name, records) => Effect.flatMap(journalFor(name), (journal) => journal.append(records)),
      snapshot: (name, contents) =>
        Effect.gen(function*() {
          yield* ensureDir
          yield* writeSnapshot(paths(name).snapshot, contents).pipe(withFiles)
          const journal = yield* journalFor(name)
          yield* journal.truncate()
        }),
      close: Effect.forEach([...journals.values()], (journal) => journal.close(), { discard: true })
    }
    return storage
  })

/** The Memory service over `<dir>`; its scope's end snapshots what changed and closes the journals. */
export const makeMemoryLive = (dir: string): Effect.Effect<MemoryShape, never, Files | Scope.Scope> =>
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

export const MemoryLive = (dir: string): Layer.Layer<Memory, never, Files> => Layer.effect(Memory, makeMemoryLive(dir))
