/**
 * The composition root: parse the command line, provide the live adapters,
 * run the command. Nothing else lives here.
 */
import { Effect, Layer, References } from "effect"
import * as ProcStatsLive from "./adapters/procfs/ProcStatsLive.ts"
import * as Gateway from "./adapters/socket/Gateway.ts"
import * as StateStoreLive from "./adapters/state/StateStoreLive.ts"
import * as SystemFactsLive from "./adapters/system/SystemFactsLive.ts"
import * as NotifyLive from "./adapters/systemd/NotifyLive.ts"
import { join } from "node:path"
import { MemoryLive } from "./memory/MemoryLive.ts"
import * as ServiceManagerLive from "./adapters/systemd/ServiceManagerLive.ts"
import { PulseConfig, pulseConfigFromEnv } from "./actors/pulse/index.ts"
import { loggerLayer } from "./daemon/Logging.ts"
import { EXIT, parse } from "./cli/args.ts"
import { runClientCommand } from "./cli/commands.ts"
import { runCryptoCommand } from "./cli/crypto.ts"
import * as Daemon from "./daemon/Daemon.ts"
import * as Security from "./daemon/Security.ts"
import * as SelfTest from "./daemon/SelfTest.ts"
import { resolveDaemonSettings } from "./daemon/settings.ts"
import { versionLine } from "./version.ts"

const liveAdapters = (
  stateDir: string,
  gateway: ReturnType<typeof Gateway.makeRegistry>,
  notifySocket: string | undefined
) =>
  Layer.mergeAll(
    SystemFactsLive.layer,
    ProcStatsLive.layer,
    StateStoreLive.layer(stateDir),
    MemoryLive(join(stateDir, "memory")),
    Security.auditLayer(stateDir).pipe(Layer.provideMerge(Security.keyringLayer(stateDir))),
    gateway.layer,
    NotifyLive.layer({ socket: notifySocket, pid: process.pid }),
    ServiceManagerLive.layer()
  )

const main = async (): Promise<number> => {
  const parsed = parse(process.argv.slice(2))
  switch (parsed._tag) {
    case "Help":
      process.stdout.write(parsed.text)
      return EXIT.ok
    case "Version":
      process.stdout.write(`${versionLine}\n`)
      return EXIT.ok
    case "UsageError":
      process.stderr.write(`sigmavault: ${parsed.message}\n`)
      return EXIT.usage
  }
  const command = parsed.parsed
  switch (command.command) {
    case "run": {
      const settings = await Effect.runPromise(Effect.result(resolveDaemonSettings(command, process.env)))
      if (settings._tag === "Failure") {
        process.stderr.write(`sigmavault: ${settings.failure.message}\n`)
        return settings.failure._tag === "UsageProblem" ? EXIT.usage : EXIT.failure
      }
      const gateway = Gateway.makeRegistry()
      const program = Daemon.run(settings.success, gateway).pipe(
        Effect.provide(liveAdapters(settings.success.stateDir, gateway, process.env.NOTIFY_SOCKET)),
        Effect.provideService(PulseConfig, pulseConfigFromEnv(process.env, process.pid, settings.success.watchServices)),
        Effect.provide(loggerLayer(process.env)),
        Effect.provideService(References.MinimumLogLevel, settings.success.logLevel)
      )
      return Daemon.exitCodeOf(await Effect.runPromiseExit(program))
    }
    case "selftest": {
      const stateDir = await import("node:fs/promises").then((fs) => fs.mkdtemp("/tmp/sigmavault-selftest-"))
      const program = SelfTest.run.pipe(
        Effect.provide(liveAdapters(stateDir, Gateway.makeRegistry(), undefined)),
        Effect.provideService(References.MinimumLogLevel, "Warn")
      )
      return Daemon.exitCodeOf(await Effect.runPromiseExit(program))
    }
    case "keygen":
    case "encrypt":
    case "decrypt":
    case "audit":
      return runCryptoCommand(command, process.env)
    default:
      return runClientCommand(command, process.env)
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`sigmavault: unexpected failure: ${error instanceof Error ? error.stack : String(error)}\n`)
    process.exit(EXIT.failure)
  }
)
