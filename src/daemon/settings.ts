/**
 * The daemon's settings from the command line and the environment (systemd's
 * STATE_DIRECTORY / RUNTIME_DIRECTORY), over the defaults.
 */
import { Effect, LogLevel, Schema } from "effect"
import { flag, hasFlag, integerFlag, type Parsed } from "../cli/args.ts"
import type { DaemonSettings } from "./Daemon.ts"

export class UsageProblem extends Schema.TaggedError<UsageProblem>()("UsageProblem", { message: Schema.String }) {}

export interface RunSettings extends DaemonSettings {
  readonly runtimeDir: string
  readonly logLevel: LogLevel.LogLevel
}

const LEVELS: ReadonlyArray<LogLevel.LogLevel> = ["Trace", "Debug", "Info", "Warn", "Error"]
const firstPath = (value: string | undefined) => (value === undefined || value === "" ? undefined : value.split(":")[0])

export const resolveDaemonSettings = (
  parsed: Parsed,
  env: Readonly<Record<string, string | undefined>>
): Effect.Effect<RunSettings, UsageProblem> =>
  Effect.gen(function*() {
    const runtimeDir = flag(parsed, "--runtime-dir") ?? firstPath(env.RUNTIME_DIRECTORY) ?? "/run/sigmavault"
    const stateDir = flag(parsed, "--state-dir") ?? firstPath(env.STATE_DIRECTORY) ?? "/var/lib/sigmavault"
    const socketPath = flag(parsed, "--socket") ?? `${runtimeDir}/control.sock`
    const levelText = flag(parsed, "--log-level") ?? "info"
    const logLevel = LEVELS.find((l) => l.toLowerCase() === levelText.toLowerCase())
    if (logLevel === undefined) {
      return yield* new UsageProblem({ message: `--log-level '${levelText}' is not one of trace, debug, info, warn, error` })
    }
    const deadline = integerFlag(parsed, "--shutdown-deadline", 0, 600_000)
    if (!deadline.ok) return yield* new UsageProblem({ message: deadline.message })
    return {
      runtimeDir,
      stateDir,
      socketPath,
      logLevel,
      socketMode: 0o660,
      socketGid: undefined,
      shutdownDeadlineMs: deadline.value ?? 5_000,
      maxFrameBytes: 1024 * 1024,
      maxConnections: 4096,
      clientBufferEvents: 1024,
      askTimeoutMs: 5_000,
      mailboxCapacity: 1024,
      testFaults: hasFlag(parsed, "--test-faults")
    }
  })
