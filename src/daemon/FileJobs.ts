/**
 * Where callers' file jobs may go (CIPHER, TENSOR, ATLAS): the file roots
 * (`file_roots`, or /srv and every mounted ZFS dataset that holds data rather
 * than the system), never the places in
 * CallerFiles.ts nor the daemon's own state and runtime directories, each
 * judged by its real path; and the file helper the jobs run as the caller,
 * which is this same program.
 */
import { realpath } from "node:fs/promises"
import { join } from "node:path"
import { Effect, Layer } from "effect"
import { ALWAYS_FORBIDDEN, CallerFiles, type Confinement, isWithin } from "../adapters/fs/CallerFiles.ts"
import * as CallerFilesLive from "../adapters/fs/CallerFilesLive.ts"
import * as FilesLive from "../adapters/fs/FilesLive.ts"
import { openJournal, type TemporaryJournal, unavailableJournal } from "../adapters/fs/TemporaryJournal.ts"
import { MigrationFiles } from "../adapters/migration/MigrationFiles.ts"
import * as MigrationFilesLive from "../adapters/migration/MigrationFilesLive.ts"
import { Zfs } from "../adapters/zfs/Zfs.ts"

export interface FileJobSettings {
  readonly fileRoots: ReadonlyArray<string> | undefined
  readonly fileJobMaxBytes: number
  readonly stateDir: string
  readonly runtimeDir: string
}

/** Default roots besides the mounted datasets. */
export const DEFAULT_ROOTS: ReadonlyArray<string> = ["/srv"]

/**
 * Where a dataset of a root-on-ZFS system is mounted for the system, not for
 * data: `/` itself and these trees are not made roots by default.
 */
const SYSTEM_TREES: ReadonlyArray<string> = ["/usr", "/var", "/boot", "/etc", "/root", "/run", "/opt", "/tmp"]

export const isDataMount = (mountpoint: string): boolean =>
  mountpoint.startsWith("/") && mountpoint !== "/" && !SYSTEM_TREES.some((tree) => isWithin(mountpoint, tree))

/** Each path's real path; one that does not exist (yet) is left out. */
const realPaths = (paths: ReadonlyArray<string>) =>
  Effect.promise(async () => {
    const real = await Promise.all(paths.map((p) => realpath(p).catch(() => undefined)))
    return [...new Set(real.filter((p): p is string => p !== undefined))]
  })

/**
 * The helper's command: the compiled binary runs itself (its script lives in
 * Bun's embedded filesystem); run from source, the runtime runs the script.
 */
export const helperCommand = (): ReadonlyArray<string> => {
  const script = process.argv[1]
  return script === undefined || script.startsWith("/$bunfs/") ? [process.execPath, "__open-as"] : [process.execPath, script, "__open-as"]
}

/** The journal of callers' temporary outputs, in the state directory. */
export const JOURNAL_FILE = "file-jobs.journal"

/**
 * The journal, with what a crash left in it swept (as each job's caller) and
 * logged. One that cannot be opened is logged as an error and refuses every
 * output: a job never writes a temporary file no journal knows of.
 */
const sweptJournal = (stateDir: string, helper: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const files = FilesLive.make()
    const file = join(stateDir, JOURNAL_FILE)
    const journal: TemporaryJournal = yield* files.makeDirectory(stateDir, { recursive: true, mode: 0o700 }).pipe(
      Effect.andThen(openJournal(files, file)),
      Effect.catch((error) =>
        Effect.as(
          Effect.logError(`file jobs will not write outputs: the journal of temporary files is unavailable: ${error.message}`),
          unavailableJournal(file, error.message)
        )
      )
    )
    const outcomes = yield* CallerFilesLive.sweepJournal(helper, journal)
    const removed = outcomes.filter((o) => o.result === "removed").map((o) => o.entry.path)
    if (removed.length > 0) {
      yield* Effect.logWarning(`removed ${removed.length} temporary file(s) that interrupted file jobs left: ${removed.join(", ")}`)
    }
    for (const outcome of outcomes.filter((o) => o.result === "refused" || o.result === "failed")) {
      yield* Effect.logWarning(
        `temporary file ${outcome.entry.path} (uid ${outcome.entry.uid}) left by an interrupted file job ` +
          `${outcome.result === "refused" ? "was not removed" : "could not be removed; the next start tries again"}: ${outcome.detail}`
      )
    }
    return journal
  })

/** Where file jobs may go, read at each job (the pools' mountpoints change as datasets are mounted). */
export const confinementOf = (settings: FileJobSettings): Effect.Effect<Effect.Effect<Confinement>, never, Zfs> =>
  Effect.gen(function*() {
    const zfs = yield* Zfs
    const forbidden = yield* realPaths([...ALWAYS_FORBIDDEN, settings.stateDir, settings.runtimeDir])
    const mounted = zfs.datasets().pipe(
      Effect.map((datasets) => datasets.flatMap((d) => (d.mounted === true && d.mountpoint !== undefined && isDataMount(d.mountpoint) ? [d.mountpoint] : []))),
      Effect.catch(() => Effect.succeed([] as ReadonlyArray<string>))
    )
    return Effect.gen(function*() {
      const configured = settings.fileRoots
      const roots = yield* realPaths(configured ?? [...DEFAULT_ROOTS, ...(yield* mounted)])
      return { roots, forbidden: [...ALWAYS_FORBIDDEN, ...forbidden] } satisfies Confinement
    })
  })

/** The helper a migration runs as its caller: this same program as `__migrate-as`. */
const migrateHelper = () => [...helperCommand().slice(0, -1), "__migrate-as"]

/** MORPH's trees, with the file jobs' confinement; its plans and journals in `morph/` under the state directory. */
export const migrationLayer = (settings: FileJobSettings): Layer.Layer<MigrationFiles, never, Zfs> =>
  Layer.effect(
    MigrationFiles,
    Effect.map(confinementOf(settings), (confinement) =>
      MigrationFilesLive.make({ journalDir: join(settings.stateDir, "morph"), confinement, helper: migrateHelper() }))
  )

export const layer = (settings: FileJobSettings): Layer.Layer<CallerFiles, never, Zfs> =>
  Layer.effect(
    CallerFiles,
    Effect.gen(function*() {
      const helper = helperCommand()
      // Before any job can start: what the last run left is swept first.
      const journal = yield* sweptJournal(settings.stateDir, helper)
      const confinement = yield* confinementOf(settings)
      return CallerFilesLive.make({ helper, confinement, maxBytes: settings.fileJobMaxBytes, journal })
    })
  )
