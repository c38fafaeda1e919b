/**
 * ZfsReplication over `zfs` through the CommandRunner (queries, holds) and
 * the CommandStreams pipe (the transfer, relayed and counted by the daemon).
 * A missing zfs is "ZFS not installed"; a dataset that does not exist is an
 * answer ("no snapshots, no token"), not an error.
 */
import { Effect, Layer, Result } from "effect"
import { CommandExited, CommandRunner, requireSuccess } from "../command/Command.ts"
import { DecodeError } from "../command/DecodeError.ts"
import { CommandStreams, requirePipeSuccess } from "../command/Streams.ts"
import {
  estimateArgv,
  receiveArgv,
  resumeTokenArgv,
  sendArgv,
  type SnapshotRef,
  snapshotsArgv,
  ZfsReplication
} from "./Replication.ts"
import { holdArgv } from "./commands.ts"
import { type ZfsError, ZfsNotInstalled } from "./Zfs.ts"

const QUERY_TIMEOUT_MS = 60_000
/** A replication may run for hours; a day without finishing is a stuck pipe. */
export const TRANSFER_TIMEOUT_MS = 24 * 60 * 60 * 1000

const DOES_NOT_EXIST = /dataset does not exist/

export const parseSnapshotList = (text: string): Result.Result<ReadonlyArray<SnapshotRef>, DecodeError> => {
  const lines = text.split("\n").filter((line) => line !== "")
  const snapshots: Array<SnapshotRef> = []
  for (const line of lines) {
    const [name, guid, createtxg, creation] = line.split("\t")
    if (name === undefined || !name.includes("@") || !/^\d+$/.test(guid ?? "") || !/^\d+$/.test(createtxg ?? "") || !/^\d+$/.test(creation ?? "")) {
      return Result.fail(new DecodeError({ source: "zfs list -H -p -t snapshot", path: "", reason: `expected name, guid, createtxg and creation separated by tabs, got: ${line.slice(0, 200)}` }))
    }
    snapshots.push({ name, guid: guid!, createtxg: Number(createtxg), creation: Number(creation) })
  }
  return Result.succeed(snapshots.sort((a, b) => a.createtxg - b.createtxg))
}

export const make = (runner: CommandRunner["Service"], streams: CommandStreams["Service"]): ZfsReplication["Service"] => {
  const run = (argv: ReadonlyArray<string>) =>
    runner.run(argv[0]!, argv.slice(1), { timeoutMs: QUERY_TIMEOUT_MS }).pipe(
      Effect.catchTag("ToolMissing", () => Effect.fail(new ZfsNotInstalled()))
    )
  const ok = (argv: ReadonlyArray<string>) => Effect.flatMap(run(argv), requireSuccess)
  /** A query on a dataset that may not exist: undefined when it does not. */
  const ifExists = (argv: ReadonlyArray<string>) =>
    Effect.flatMap(run(argv), (output) =>
      output.exitCode !== 0 && DOES_NOT_EXIST.test(output.stderr) ? Effect.succeed(undefined) : Effect.map(requireSuccess(output), (o) => o.stdout))

  /** Holds and releases are idempotent: an existing tag, or one already gone, is the state asked for. */
  const holding = (verb: "hold" | "release", tag: string, snapshots: ReadonlyArray<string>) =>
    snapshots.length === 0 ? Effect.void : Effect.gen(function*() {
      const argv = yield* holdArgv(verb, tag, snapshots)
      const output = yield* run(argv)
      if (output.exitCode === 0) return
      const lines = output.stderr.split("\n").filter((line) => line.trim() !== "")
      const harmless = verb === "hold" ? /tag already exists on this dataset/ : /no such tag on this dataset|dataset does not exist/
      if (lines.length > 0 && lines.every((line) => harmless.test(line))) return
      return yield* Effect.fail(new CommandExited({ tool: "zfs", args: argv.slice(1), exitCode: output.exitCode, stderr: output.stderr.trim().slice(0, 2048) }))
    })

  return ZfsReplication.of({
    snapshots: (dataset) =>
      Effect.gen(function*() {
        const stdout = yield* ifExists(yield* Effect.fromResult(snapshotsArgv(dataset)))
        return stdout === undefined ? undefined : yield* Effect.fromResult(parseSnapshotList(stdout))
      }),
    resumeToken: (dataset) =>
      Effect.gen(function*() {
        const stdout = yield* ifExists(yield* Effect.fromResult(resumeTokenArgv(dataset)))
        const token = stdout?.trim()
        return token === undefined || token === "" || token === "-" ? undefined : token
      }),
    estimate: (send) =>
      Effect.gen(function*() {
        const output = yield* ok(yield* Effect.fromResult(estimateArgv(send)))
        // "size\t12345" (with -P); older releases print it on stderr.
        const size = /^size\s+(\d+)\s*$/m.exec(`${output.stdout}\n${output.stderr}`)
        return size === null ? undefined : Number(size[1])
      }),
    transfer: (send, target, onProgress) =>
      Effect.gen(function*() {
        const source = yield* Effect.fromResult(sendArgv(send))
        const sink = yield* Effect.fromResult(receiveArgv(target))
        const output = yield* streams.pipe(
          { tool: source[0]!, args: source.slice(1) },
          { tool: sink[0]!, args: sink.slice(1) },
          { timeoutMs: TRANSFER_TIMEOUT_MS, onProgress, progressEveryBytes: 16 * 1024 * 1024 }
        ).pipe(Effect.catchTag("ToolMissing", (): Effect.Effect<never, ZfsError> => Effect.fail(new ZfsNotInstalled())))
        yield* requirePipeSuccess(output)
        return { bytes: output.bytes }
      }),
    hold: (tag, snapshots) => holding("hold", tag, snapshots),
    release: (tag, snapshots) => holding("release", tag, snapshots)
  })
}

export const layer: Layer.Layer<ZfsReplication, never, CommandRunner | CommandStreams> = Layer.effect(
  ZfsReplication,
  Effect.gen(function*() {
    return make(yield* CommandRunner, yield* CommandStreams)
  })
)
