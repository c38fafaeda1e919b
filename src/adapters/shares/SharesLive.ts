/**
 * The Shares port over Samba's registry (net conf), smbcontrol, smbstatus,
 * the exports directory and exportfs, through the CommandRunner and the Files
 * port. Nothing here restarts a daemon: smbd rereads its configuration on
 * reload-config and keeps its sessions.
 */
import { join } from "node:path"
import { Effect, Layer } from "effect"
import { type CommandOutput, CommandRunner, requireSuccess } from "../command/Command.ts"
import { Files, type FilesShape, listIfPresent } from "../fs/Files.ts"
import { type ShareCommands, exportfsArgv, netArgv, smbstatusArgv, stepsOf } from "./commands.ts"
import { parseExportfs, parseListShares, parseShowShare, parseSmbStatus } from "./parse.ts"
import { type Applied, EXPORT_FILE, type NfsLive, type ShareOperation, Shares, type SharesError, type ShareStep, type SmbLive } from "./Shares.ts"

const TIMEOUT_MS = 30_000
const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** smbcontrol's words when no smbd runs: the registry holds the change, smbd loads it when it starts. */
const NO_SMBD = /Can't find pid|No such process|not running/i

export const make = (runner: CommandRunner["Service"], files: FilesShape, commands: ShareCommands): Shares["Service"] => {
  const exec = (argv: ReadonlyArray<string>): Effect.Effect<CommandOutput, SharesError> =>
    runner.run(argv[0]!, argv.slice(1), { timeoutMs: TIMEOUT_MS, maxOutputBytes: 16 * 1024 * 1024 })

  const doStep = (step: ShareStep): Effect.Effect<ReadonlyArray<string>, SharesError> => {
    switch (step.kind) {
      case "write":
        return files.makeDirectory(join(step.path, ".."), { recursive: true, mode: 0o755 }).pipe(
          Effect.andThen(files.writeAtomic(step.path, encoder.encode(step.text), { replace: true, mode: 0o644 })),
          Effect.as([])
        )
      case "remove":
        return Effect.as(files.remove(step.path), [])
      case "run":
        return Effect.flatMap(exec(step.command), (output) => {
          if (output.exitCode !== 0 && step.command.includes("reload-config") && NO_SMBD.test(output.stderr + output.stdout)) {
            return Effect.succeed(["smbd is not running: the registry holds the change, and smbd loads it when it starts"])
          }
          return Effect.as(requireSuccess(output), [])
        })
    }
  }

  const smb: Effect.Effect<SmbLive> = Effect.gen(function*() {
    const listed = yield* Effect.result(Effect.flatMap(exec(netArgv(commands, "conf", "listshares")), requireSuccess))
    if (listed._tag === "Failure") return { available: false, reason: listed.failure.message, shares: [] }
    const names = parseListShares(listed.success.stdout)
    const shares = yield* Effect.forEach(names, (name) =>
      exec(netArgv(commands, "conf", "showshare", name)).pipe(
        Effect.flatMap(requireSuccess),
        Effect.map((output) => ({ name, parameters: parseShowShare(output.stdout) })),
        Effect.catch(() => Effect.succeed({ name, parameters: [] }))
      ))
    const status = yield* Effect.result(exec(smbstatusArgv(commands)))
    const parsed = status._tag === "Success" && status.success.exitCode === 0 ? parseSmbStatus(status.success.stdout) : undefined
    const statusNote = status._tag === "Failure"
      ? status.failure.message
      : parsed === undefined
      ? `smbstatus did not answer: ${(status.success.stderr || status.success.stdout).trim().split("\n")[0] ?? ""}`
      : undefined
    return {
      available: true,
      shares,
      ...(parsed === undefined ? {} : { sessions: parsed.sessions, connections: parsed.connections, openFiles: parsed.openFiles }),
      ...(statusNote === undefined ? {} : { statusNote })
    }
  })

  const nfs: Effect.Effect<NfsLive> = Effect.gen(function*() {
    const names = (yield* Effect.orElseSucceed(listIfPresent(files, commands.exportsDir), () => [])).filter((n) => EXPORT_FILE.test(n))
    const texts = yield* Effect.forEach(names, (file) =>
      files.readFile(join(commands.exportsDir, file), { maxBytes: 1024 * 1024 }).pipe(
        Effect.map((bytes) => ({ file, text: decoder.decode(bytes) })),
        Effect.orElseSucceed(() => ({ file, text: "" }))
      ))
    const listed = yield* Effect.result(Effect.flatMap(exec(exportfsArgv(commands, "-v")), requireSuccess))
    if (listed._tag === "Failure") return { available: false, reason: listed.failure.message, exports: [], files: texts }
    return { available: true, exports: parseExportfs(listed.success.stdout), files: texts }
  })

  const steps = (operations: ReadonlyArray<ShareOperation>) => operations.flatMap((o) => stepsOf(commands, o))

  return Shares.of({
    steps,
    apply: (operations) =>
      Effect.gen(function*() {
        const planned = steps(operations)
        const notes: Array<string> = []
        for (const step of planned) notes.push(...(yield* doStep(step)))
        return { steps: planned, notes } satisfies Applied
      }),
    smb,
    smbNames: exec(netArgv(commands, "conf", "listshares")).pipe(
      Effect.flatMap(requireSuccess),
      Effect.map((output) => parseListShares(output.stdout)),
      Effect.orElseSucceed(() => undefined)
    ),
    nfs
  })
}

export const layer = (commands: ShareCommands): Layer.Layer<Shares, never, CommandRunner | Files> =>
  Layer.effect(Shares, Effect.gen(function*() {
    return make(yield* CommandRunner, yield* Files, commands)
  }))
