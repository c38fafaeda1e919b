/**
 * The Zfs port over zpool and zfs (OpenZFS ≥ 2.3 for `-j`), run through the
 * CommandRunner. Names are validated before anything is spawned; a missing
 * zpool or zfs is "ZFS not installed"; an older ZFS that rejects `-j` is told
 * apart from other failures.
 */
import { Effect, Layer, type Result } from "effect"
import { CommandExited, type CommandOutput, CommandRunner, requireSuccess } from "../command/Command.ts"
import type { DecodeError } from "../command/DecodeError.ts"
import { validateDatasetName, validatePoolName, validatePropertyName } from "../command/names.ts"
import {
  createDatasetArgv,
  createPoolArgv,
  destroyArgv,
  display,
  holdArgv,
  holdsArgv,
  listSnapshotsArgv,
  scrubArgv,
  setPropertyArgv,
  snapshotArgv
} from "./commands.ts"
import { parseDatasetList, parseHolds, parsePoolList, parsePoolStatus, parseProperties, parseSnapshotLines, parseSnapshotList } from "./parse.ts"
import { type Planned, Zfs, type ZfsError, ZfsNotInstalled } from "./Zfs.ts"

const TIMEOUT_MS = 60_000

/** What `zfs list` asks for: Dataset's fields, and only filesystems and volumes (snapshots can number in the millions). */
export const DATASET_COLUMNS = "name,type,used,available,referenced,mountpoint,mounted"

/**
 * zpool and zfs before 2.3 know no -j: their getopt says "invalid option 'j'"
 * (zpool status also "invalid option -- 'j'"), they print their usage and exit 2.
 */
const isOldZfs = (error: CommandExited) => error.exitCode === 2 && /invalid option (-- )?'j'|unrecognized option '--json/.test(error.stderr)

export const OLD_ZFS = "this ZFS is older than 2.3: JSON output (-j) is needed"

export const make = (runner: CommandRunner["Service"]): Zfs["Service"] => {
  const run = (argv: ReadonlyArray<string>): Effect.Effect<CommandOutput, ZfsError> =>
    runner.run(argv[0]!, argv.slice(1), { timeoutMs: TIMEOUT_MS }).pipe(
      Effect.catchTag("ToolMissing", () => Effect.fail(new ZfsNotInstalled())),
      Effect.flatMap(requireSuccess),
      Effect.mapError((error): ZfsError =>
        error._tag === "CommandExited" && isOldZfs(error)
          ? new CommandExited({ ...error, stderr: `${OLD_ZFS} (${error.stderr.split("\n")[0]!.trim()})` })
          : error
      )
    )

  const read = <A>(argv: ReadonlyArray<string>, parse: (text: string) => Result.Result<A, DecodeError>) =>
    Effect.flatMap(run(argv), (output) => Effect.fromResult(parse(output.stdout)))

  const plan = (argv: ReadonlyArray<string>, confirm: boolean): Effect.Effect<Planned, ZfsError> =>
    confirm
      ? Effect.map(run(argv), (output) => ({ command: argv, display: display(argv), executed: true, output: output.stdout.trim() }))
      : Effect.succeed({ command: argv, display: display(argv), executed: false })

  return Zfs.of({
    pools: read(["zpool", "list", "-j", "--json-int"], parsePoolList),
    status: (pool) =>
      Effect.gen(function*() {
        const target = pool === undefined ? [] : [yield* Effect.fromResult(validatePoolName(pool))]
        return yield* read(["zpool", "status", "-j", "--json-int", ...target], parsePoolStatus)
      }),
    datasets: (root) =>
      Effect.gen(function*() {
        const below = root === undefined ? [] : ["-r", yield* Effect.fromResult(validateDatasetName(root))]
        return yield* read(["zfs", "list", "-j", "--json-int", "-t", "filesystem,volume", "-o", DATASET_COLUMNS, ...below], parseDatasetList)
      }),
    properties: (dataset, names) =>
      Effect.gen(function*() {
        yield* Effect.fromResult(validateDatasetName(dataset))
        for (const name of names) yield* Effect.fromResult(validatePropertyName(name))
        const list = names.length === 0 ? "all" : names.join(",")
        return yield* read(["zfs", "get", "-j", "--json-int", list, dataset], (text) => parseProperties(text, dataset))
      }),
    scrub: (pool, action) => Effect.asVoid(Effect.flatMap(scrubArgv(pool, action), run)),
    createPool: (pool, vdevs, options) => Effect.flatMap(createPoolArgv(pool, vdevs, options.properties), (argv) => plan(argv, options.confirm)),
    createDataset: (dataset, options) => Effect.flatMap(createDatasetArgv(dataset, options.properties), (argv) => plan(argv, options.confirm)),
    setProperty: (dataset, property, value, options) =>
      Effect.flatMap(setPropertyArgv(dataset, property, value), (argv) => plan(argv, options.confirm)),
    destroy: (dataset, options) => Effect.flatMap(destroyArgv(dataset, options.recursive === true), (argv) => plan(argv, options.confirm)),
    snapshots: (root, options) =>
      Effect.gen(function*() {
        const recursive = options?.recursive === true
        const json = yield* listSnapshotsArgv(root, recursive, "json")
        return yield* read(json, parseSnapshotList).pipe(
          // OpenZFS before 2.3 (Debian bookworm's 2.1) has no -j: the same columns, tab-separated and exact (-Hp).
          Effect.catchTag("CommandExited", (error) =>
            error.stderr.startsWith(OLD_ZFS)
              ? Effect.flatMap(listSnapshotsArgv(root, recursive, "lines"), (argv) => read(argv, parseSnapshotLines))
              : Effect.fail(error))
        )
      }),
    snapshot: (snapshot, options) => Effect.flatMap(snapshotArgv(snapshot, options.recursive === true), (argv) => plan(argv, options.confirm)),
    hold: (tag, snapshot, options) => Effect.flatMap(holdArgv("hold", tag, [snapshot]), (argv) => plan(argv, options.confirm)),
    release: (tag, snapshot, options) => Effect.flatMap(holdArgv("release", tag, [snapshot]), (argv) => plan(argv, options.confirm)),
    holds: (snapshot) => Effect.flatMap(holdsArgv(snapshot), (argv) => read(argv, parseHolds))
  })
}

export const layer: Layer.Layer<Zfs, never, CommandRunner> = Layer.effect(Zfs, Effect.map(CommandRunner, make))
