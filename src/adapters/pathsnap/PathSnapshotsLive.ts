/**
 * PathSnapshots with rsync (through the CommandRunner: argument arrays, no
 * shell) and node:fs for the snapshot root's own bookkeeping. See
 * PathSnapshots.ts for the layout and the rules.
 */
import { mkdir, readdir, readFile, realpath, rename, rm, stat, writeFile } from "node:fs/promises"
import { basename, dirname, join, normalize } from "node:path"
import { Effect, Layer } from "effect"
import { CommandExited } from "../command/Command.ts"
import { CommandStreams } from "../command/Streams.ts"
import { type Confinement, confinementProblem, isWithin } from "../fs/CallerFiles.ts"
import {
  NoSuchPathSnapshot,
  PathRefused,
  type PathSnapshot,
  PathSnapshotExists,
  PathSnapshotIoError,
  type PathSnapshotPlan,
  PathSnapshots,
  RSYNC_FLAGS,
  type RsyncPlan,
  RsyncNotInstalled,
  SNAPSHOT_NAME
} from "./PathSnapshots.ts"

/** The snapshot root's own directory: metadata and work in progress. */
export const META_DIR = ".sigmavault"
/** A snapshot of a large tree can take hours; a day is a stuck rsync. */
const RSYNC_TIMEOUT_MS = 24 * 60 * 60 * 1000
const RSYNC_OUTPUT_LIMIT = 16 * 1024 * 1024
/** rsync's "some files vanished before they could be transferred": the source changed while it ran. */
const VANISHED = 24
const MAX_CHANGES = 1000

const io = <A>(operation: string, path: string, run: () => Promise<A>) =>
  Effect.tryPromise({
    try: run,
    catch: (error) => new PathSnapshotIoError({ operation, path, reason: error instanceof Error ? error.message : String(error) })
  })

const exists = (path: string) => Effect.promise(() => stat(path).then(() => true, () => false))

const display = (argv: ReadonlyArray<string>) => argv.map((arg) => (/^[A-Za-z0-9_.,:=/@%+-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`)).join(" ")

interface Meta {
  readonly source: string
  readonly creation: number
  /** The same in milliseconds: two snapshots of one second keep their order. */
  readonly createdMs?: number
}

const readMeta = (file: string) =>
  Effect.promise(async (): Promise<Meta | undefined> => {
    try {
      const parsed = JSON.parse(await readFile(file, "utf8")) as unknown
      if (typeof parsed === "object" && parsed !== null && typeof (parsed as Meta).source === "string" && Number.isInteger((parsed as Meta).creation)) {
        return parsed as Meta
      }
    } catch {
      // Not ours, or torn: not a snapshot.
    }
    return undefined
  })

const NO_INPUT = new Uint8Array(0)

/**
 * rsync runs through CommandStreams (no input): it forks helpers of its own
 * (generator, receiver), and an interrupted snapshot must stop them all, in
 * its process group, before the partial copy is removed.
 */
export const make = (streams: CommandStreams["Service"], confinement: Effect.Effect<Confinement>): PathSnapshots["Service"] => {
  /** The path as written, then its real path, checked against the file roots; `missing` says what to do when it does not exist. */
  const resolve = (field: string, path: string, missing: "refuse" | "create" | "allow") =>
    Effect.gen(function*() {
      const rules = yield* confinement
      const written = confinementProblem(path, rules)
      if (written !== undefined) return yield* Effect.fail(new PathRefused({ field, path, reason: written }))
      const normal = normalize(path).replace(/(.)\/+$/, "$1")
      let real = yield* Effect.promise(() => realpath(normal).catch(() => undefined))
      if (real === undefined) {
        if (missing === "refuse") return yield* Effect.fail(new PathRefused({ field, path, reason: "it does not exist" }))
        if (missing === "create") {
          yield* io("create", normal, () => mkdir(normal, { recursive: true, mode: 0o755 }))
          real = yield* io("resolve", normal, () => realpath(normal))
        } else {
          // Not there yet (a plan): judge the directory it would be made in.
          const parent = yield* Effect.promise(() => realpath(dirname(normal)).catch(() => dirname(normal)))
          real = join(parent, basename(normal))
        }
      }
      const landed = confinementProblem(real, rules)
      if (landed !== undefined) return yield* Effect.fail(new PathRefused({ field, path, reason: `it leads to ${real}: ${landed}` }))
      const info = yield* Effect.promise(() => stat(real!).catch(() => undefined))
      if (info !== undefined && !info.isDirectory()) return yield* Effect.fail(new PathRefused({ field, path, reason: "it is not a directory" }))
      return real
    })

  const apart = (source: string, other: string, field: string, path: string) =>
    isWithin(other, source) || isWithin(source, other)
      ? Effect.fail(new PathRefused({ field, path, reason: `it and the source (${source}) must not be one inside the other (rsync would copy its own output)` }))
      : Effect.void

  const rsync = (argv: ReadonlyArray<string>) =>
    streams.feed(argv[0]!, argv.slice(1), NO_INPUT, { timeoutMs: RSYNC_TIMEOUT_MS, maxOutputBytes: RSYNC_OUTPUT_LIMIT, processGroup: true }).pipe(
      Effect.catchTag("ToolMissing", () => Effect.fail(new RsyncNotInstalled())),
      Effect.flatMap((output) =>
        output.exitCode === 0 || output.exitCode === VANISHED
          ? Effect.succeed(output)
          : Effect.fail(new CommandExited({ tool: output.tool, args: output.args, exitCode: output.exitCode, stderr: output.stderr.trim().slice(-2048) }))
      )
    )
  const warningsOf = (output: { readonly exitCode: number; readonly stderr: string }) =>
    output.exitCode === VANISHED ? output.stderr.split("\n").filter((line) => line.trim() !== "").slice(0, 100) : []

  const listReal = (root: string) =>
    Effect.gen(function*() {
      const entries = yield* Effect.promise(() => readdir(root, { withFileTypes: true }).catch(() => []))
      const found: Array<{ readonly snapshot: PathSnapshot; readonly ms: number }> = []
      for (const entry of entries) {
        if (!entry.isDirectory() || entry.name.startsWith(".")) continue
        const meta = yield* readMeta(join(root, META_DIR, `${entry.name}.json`))
        if (meta === undefined) continue
        const ms = meta.createdMs ?? meta.creation * 1000
        found.push({ snapshot: { name: entry.name, path: join(root, entry.name), source: meta.source, creation: meta.creation, createdAt: new Date(ms).toISOString() }, ms })
      }
      return found
        .sort((a, b) => a.ms - b.ms || (a.snapshot.name < b.snapshot.name ? -1 : a.snapshot.name > b.snapshot.name ? 1 : 0))
        .map((entry) => entry.snapshot)
    })

  const checkName = (name: string) =>
    SNAPSHOT_NAME.test(name)
      ? Effect.succeed(name)
      : Effect.fail(new PathRefused({ field: "name", path: name, reason: "a snapshot name has up to 200 letters, digits, '_', '.', ':' or '-', and does not start with '.' or '-'" }))

  /** What an interrupted or failed run left in the root's own directory. */
  const sweep = (meta: string) =>
    Effect.gen(function*() {
      const entries = yield* Effect.promise(() => readdir(meta).catch(() => [] as Array<string>))
      for (const entry of entries.filter((e) => e.startsWith("partial-") || e.startsWith("deleting-"))) {
        yield* io("remove", join(meta, entry), () => rm(join(meta, entry), { recursive: true, force: true }))
      }
    })

  return PathSnapshots.of({
    list: (root) =>
      Effect.gen(function*() {
        const real = yield* resolve("root", root, "allow")
        return yield* listReal(real)
      }),

    take: (source, root, name, options) =>
      Effect.gen(function*() {
        yield* checkName(name)
        const from = yield* resolve("source", source, "refuse")
        const into = yield* resolve("root", root, options.confirm ? "create" : "allow")
        yield* apart(from, into, "root", root)
        const target = join(into, name)
        if (yield* exists(target)) return yield* Effect.fail(new PathSnapshotExists({ root: into, name }))
        const previous = (yield* listReal(into)).filter((snapshot) => snapshot.source === from).at(-1)
        const meta = join(into, META_DIR)
        const partial = join(meta, `partial-${name}`)
        const argv = [
          "rsync",
          ...RSYNC_FLAGS,
          ...(options.checksum === true ? ["--checksum"] : []),
          ...(previous === undefined ? [] : [`--link-dest=${previous.path}`]),
          `${from}/`,
          `${partial}/`
        ]
        const plan = (rsyncPlan: RsyncPlan): PathSnapshotPlan => ({
          root: into,
          source: from,
          name,
          ...(previous === undefined ? {} : { linkDest: previous.path }),
          rsync: rsyncPlan,
          path: target
        })
        if (!options.confirm) return plan({ command: argv, display: display(argv), executed: false, warnings: [] })

        yield* io("create", meta, () => mkdir(meta, { recursive: true, mode: 0o700 }))
        yield* sweep(meta)
        let published = false
        const taken = Effect.gen(function*() {
          const output = yield* rsync(argv)
          const createdMs = options.now.getTime()
          const metaFile = join(meta, `${name}.json`)
          const record: Meta = { source: from, creation: Math.floor(createdMs / 1000), createdMs }
          yield* io("write", metaFile, () => writeFile(`${metaFile}.tmp`, `${JSON.stringify(record)}\n`, { mode: 0o600 }))
          yield* io("rename", metaFile, () => rename(`${metaFile}.tmp`, metaFile))
          // The moment the snapshot appears, complete.
          if (yield* exists(target)) return yield* Effect.fail(new PathSnapshotExists({ root: into, name }))
          yield* io("rename", partial, () => rename(partial, target))
          published = true
          return plan({ command: argv, display: display(argv), executed: true, warnings: warningsOf(output) })
        })
        return yield* taken.pipe(
          Effect.onExit(() => (published ? Effect.void : Effect.promise(() => rm(partial, { recursive: true, force: true }))))
        )
      }),

    remove: (root, names, options) =>
      Effect.gen(function*() {
        const real = yield* resolve("root", root, "allow")
        const existing = new Set((yield* listReal(real)).map((snapshot) => snapshot.name))
        for (const name of names) {
          yield* checkName(name)
          if (!existing.has(name)) return yield* Effect.fail(new NoSuchPathSnapshot({ root: real, name }))
        }
        if (!options.confirm) return { removed: names, executed: false }
        const meta = join(real, META_DIR)
        for (const name of names) {
          const away = join(meta, `deleting-${name}`)
          yield* io("remove", away, () => rm(away, { recursive: true, force: true }))
          yield* io("rename", join(real, name), () => rename(join(real, name), away))
          yield* io("remove", join(meta, `${name}.json`), () => rm(join(meta, `${name}.json`), { force: true }))
          yield* io("remove", away, () => rm(away, { recursive: true, force: true }))
        }
        return { removed: names, executed: true }
      }),

    sync: (source, destination, options) =>
      Effect.gen(function*() {
        const from = yield* resolve("source", source, "refuse")
        const to = yield* resolve("destination", destination, options.confirm ? "create" : "allow")
        yield* apart(from, to, "destination", destination)
        const argv = [
          "rsync",
          ...RSYNC_FLAGS,
          ...(options.checksum === true ? ["--checksum"] : []),
          ...(options.delete === true ? ["--delete"] : []),
          `${from}/`,
          `${to}/`
        ]
        if (options.confirm) {
          const output = yield* rsync(argv)
          return { source: from, destination: to, rsync: { command: argv, display: display(argv), executed: true, warnings: warningsOf(output) }, changes: [] }
        }
        const dry = ["rsync", "--dry-run", "--itemize-changes", ...argv.slice(1)]
        const output = yield* rsync(dry)
        const changes = output.stdout.split("\n").filter((line) => line !== "").slice(0, MAX_CHANGES)
        return { source: from, destination: to, rsync: { command: argv, display: display(argv), executed: false, warnings: [] }, changes }
      })
  })
}

export const layer = (confinement: Effect.Effect<Confinement>): Layer.Layer<PathSnapshots, never, CommandStreams> =>
  Layer.effect(PathSnapshots, Effect.map(CommandStreams, (streams) => make(streams, confinement)))
