/**
 * The composition root: parse the command line, provide the live adapters,
 * run. Nothing else lives here.
 */
import { Effect, Layer, References } from "effect"
import * as ProcStatsLive from "./adapters/procfs/ProcStatsLive.ts"
import * as StateStoreLive from "./adapters/state/StateStoreLive.ts"
import * as SystemFactsLive from "./adapters/system/SystemFactsLive.ts"
import { parse, USAGE } from "./cli/args.ts"
import * as Daemon from "./daemon/Daemon.ts"
import packageJson from "../package.json" with { type: "json" }

const main = async (): Promise<number> => {
  const command = parse(process.argv.slice(2), process.env)
  switch (command._tag) {
    case "UsageError":
      process.stderr.write(`sigmavault: ${command.message}\n`)
      return 2
    case "Help":
      process.stdout.write(USAGE)
      return 0
    case "Version":
      process.stdout.write(`sigmavault ${packageJson.version}\n`)
      return 0
    case "Run": {
      const adapters = Layer.mergeAll(
        SystemFactsLive.layer,
        ProcStatsLive.layer,
        StateStoreLive.layer(command.stateDir)
      )
      const program = Daemon.run(command).pipe(
        Effect.provide(adapters),
        Effect.provideService(References.MinimumLogLevel, command.logLevel)
      )
      return Daemon.exitCodeOf(await Effect.runPromiseExit(program))
    }
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`sigmavault: unexpected failure: ${error instanceof Error ? error.stack : String(error)}\n`)
    process.exit(1)
  }
)
