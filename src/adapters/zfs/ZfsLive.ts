/**
 * The Zfs port over zpool and zfs (OpenZFS ≥ 2.3 for `-j`), run through the
 * CommandRunner. Names are validated before anything is spawned; a missing
 * zpool is "ZFS not installed"; an older ZFS that rejects `-j` is told apart
 * from other failures.
 */
import { Effect, Layer, type Result } from "effect"
import { CommandExited, type CommandOutput, CommandRunner, requireSuccess } from "../command/Command.ts"
import type { DecodeError } from "../command/DecodeError.ts"
import { validateDatasetName, validatePoolName, validatePropertyName } from "../command/names.ts"
import { createDatasetArgv, createPoolArgv, destroyArgv, display, setPropertyArgv } from "./commands.ts"
import { parseDatasetList, parsePoolList, parsePoolStatus, parseProperties } from "./parse.ts"
import { type Planned, Zfs, type ZfsError, ZfsNotInstalled } from "./Zfs.ts"

const TIMEOUT_MS = 60_000

export const make = (runner: CommandRunner["Service"]): Zfs["Service"] => {
  const run = (argv: ReadonlyArray<string>): Effect.Effect<CommandOutput, ZfsError> =>
    runner.run(argv[0]!, argv.slice(1), { timeoutMs: TIMEOUT_MS }).pipe(
      Effect.catchTag("ToolMissing", () => Effect.fail(new ZfsNotInstalled())),
      Effect.flatMap(requireSuccess),
      Effect.mapError((error): ZfsError => {
        // zpool and zfs before 2.3 print their usage for -j and exit 2.
        if (error._tag === "CommandExited" && /invalid option 'j'|unrecognized option.*json/i.test(error.stderr)) {
          return new CommandExited({ ...error, stderr: `this ZFS is older than 2.3 and has no JSON output (-j), which SigmaVault needs: ${error.stderr.split("\n")[0]}` })
        }
        return error
      })
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
        if (pool !== undefined) yield* Effect.fromResult(validatePoolName(pool))
        return yield* read(["zpool", "status", "-j", "--json-int", ...(pool === undefined ? [] : [pool])], parsePoolStatus)
      }),
    datasets: (rootDataset) =>
      Effect.gen(function*() {
        if (rootDataset !== undefined) yield* Effect.fromResult(validateDatasetName(rootDataset))
        return yield* read([
          "zfs",
          "list",
          "-j",
          "--json-int",
          "-t",
          "filesystem,volume",
          "-o",
          "name,type,used,available,referenced,mountpoint,mounted",
          ...(rootDataset === undefined ? [] : ["-r", rootDataset])
        ], parseDatasetList)
      }),
    properties: (dataset, names) =>
      Effect.gen(function*() {
        yield* Effect.fromResult(validateDatasetName(dataset))
        for (const name of names) yield* Effect.fromResult(validatePropertyName(name))
        const list = names.length === 0 ? "all" : names.join(",")
        return yield* read(["zfs", "get", "-j", "--json-int", list, dataset], (text) => parseProperties(text, dataset))
      }),
    scrub: (pool, action) =>
      Effect.gen(function*() {
        yield* Effect.fromResult(validatePoolName(pool))
        const flag = action === "pause" ? ["-p"] : action === "stop" ? ["-s"] : []
        yield* run(["zpool", "scrub", ...flag, pool])
      }),
    createPool: (pool, vdevs, options) =>
      Effect.flatMap(createPoolArgv(pool, vdevs, options.properties), (argv) => plan(argv, options.confirm)),
    createDataset: (dataset, options) =>
      Effect.flatMap(createDatasetArgv(dataset, options.properties), (argv) => plan(argv, options.confirm)),
    setProperty: (dataset, property, value, options) =>
      Effect.flatMap(setPropertyArgv(dataset, property, value), (argv) => plan(argv, options.confirm)),
    destroy: (dataset, options) =>
      Effect.flatMap(destroyArgv(dataset, options.recursive === true), (argv) => plan(argv, options.confirm))
  })
}

export const layer: Layer.Layer<Zfs, never, CommandRunner> = Layer.effect(Zfs, Effect.map(CommandRunner, make))
