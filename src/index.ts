/**
 * The entry point: parse the command line and run the command. The daemon's
 * composition root (the live adapters) is src/daemon/Compose.ts, imported
 * only by `run` and `selftest`; the file and client commands import only what
 * they use, so they start in a fraction of the daemon's time and memory.
 */
import { parse } from "./cli/args.ts"
import { ExitCode } from "./ExitCode.ts"
import { versionLine } from "./version.ts"

const main = async (): Promise<number> => {
  // The daemon's file helper (src/adapters/fs/openAs.ts): not a command for people, so not in the help.
  if (process.argv[2] === "__open-as") return (await import("./adapters/fs/openAs.ts")).runOpenAs(process.argv.slice(3))
  // MORPH's migration helper (src/adapters/migration/migrateAs.ts), likewise.
  if (process.argv[2] === "__migrate-as") return (await import("./adapters/migration/migrateAs.ts")).runMigrateAs(process.argv.slice(3))
  const parsed = parse(process.argv.slice(2))
  switch (parsed._tag) {
    case "Help":
      process.stdout.write(parsed.text)
      return ExitCode.ok
    case "Version":
      process.stdout.write(`${versionLine}\n`)
      return ExitCode.ok
    case "UsageError":
      process.stderr.write(`sigmavault: ${parsed.message}\n`)
      return ExitCode.usage
  }
  const command = parsed.parsed
  switch (command.command) {
    case "run":
    case "selftest":
      return (await import("./daemon/Compose.ts")).runDaemon(command)
    case "manifest":
    case "verify":
      return (await import("./cli/integrity.ts")).runIntegrityCommand(command, process.env)
    case "encrypt":
    case "decrypt":
    case "inspect-vault":
      return (await import("./cli/encrypt.ts")).runEncryptCommand(command, process.env)
    case "compress":
    case "decompress":
      return (await import("./cli/compress.ts")).runCompressCommand(command)
    case "store":
      return (await import("./cli/store.ts")).runStoreCommand(command, process.env)
    case "keygen":
      return (await import("./cli/keygen.ts")).runKeygenCommand(command, process.env)
    case "audit":
      return (await import("./cli/audit.ts")).runAuditCommand(command, process.env)
    case "inspect":
      return (await import("./inspect/command.ts")).runInspectCommand(command, process.env)
    case "keys":
      return (await import("./cli/keys.ts")).runKeysCommand(command, process.env)
    case "plan":
      return (await import("./cli/plan.ts")).runPlanCommand(command, process.env)
    case "events":
      return (await import("./cli/events.ts")).runEventsCommand(command, process.env)
    case "chart":
      return (await import("./cli/chart.ts")).runChartCommand(command, process.env)
    case "report":
      return (await import("./cli/report.ts")).runReportCommand(command, process.env)
    case "watch":
      return (await import("./cli/watch.ts")).runWatchCommand(command, process.env)
    case "say":
      return (await import("./cli/say.ts")).runSayCommand(command, process.env)
    case "ask":
    case "tell":
      return (await import("./cli/ask.ts")).runAskCommand(command, process.env)
    default:
      return (await import("./cli/agents.ts")).runAgentsCommand(command, process.env)
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`sigmavault: unexpected failure: ${error instanceof Error ? error.stack : String(error)}\n`)
    process.exit(ExitCode.failure)
  }
)
