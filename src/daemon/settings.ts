/**
 * The daemon's settings: defaults < config file < systemd's environment <
 * command-line flags (src/config). Anything wrong stops the start with a
 * message naming the flag, or the file, line and key.
 */
import { readFile } from "node:fs/promises"
import { Effect, type LogLevel, Result, Schema } from "effect"
import { watchdogIntervalMs } from "../adapters/systemd/Notify.ts"
import { flag, hasFlag, type Parsed } from "../cli/args.ts"
import * as Config from "../config/index.ts"
import { type AgentConfigs, agentConfigsOf, scheduleProblem } from "./AgentConfigs.ts"
import type { DaemonSettings } from "./Daemon.ts"

export class UsageProblem extends Schema.TaggedError<UsageProblem>()("UsageProblem", { message: Schema.String }) {}

export class StartProblem extends Schema.TaggedError<StartProblem>()("StartProblem", { message: Schema.String }) {}

/** The D-Bus to export on: the flag, else the system bus when systemd started us, else none. */
const dbusOf = (
  parsed: Parsed,
  env: Readonly<Record<string, string | undefined>>
): Result.Result<DaemonSettings["dbus"], UsageProblem> => {
  const raw = flag(parsed, "--dbus")
  const address = flag(parsed, "--dbus-address")
  if (raw === undefined) {
    if (address !== undefined) return Result.fail(new UsageProblem({ message: "--dbus-address needs --dbus system or --dbus session" }))
    const underSystemd = env.INVOCATION_ID !== undefined || env.NOTIFY_SOCKET !== undefined
    return Result.succeed(underSystemd ? { bus: "system", explicit: false } : { bus: "none" })
  }
  if (raw !== "system" && raw !== "session" && raw !== "none") {
    return Result.fail(new UsageProblem({ message: `--dbus '${raw}' is not one of system, session, none` }))
  }
  if (raw === "none") return Result.succeed({ bus: "none" })
  return Result.succeed({ bus: raw, explicit: true, ...(address === undefined ? {} : { address }) })
}

export interface RunSettings extends DaemonSettings {
  readonly runtimeDir: string
  readonly logLevel: LogLevel.LogLevel
  /** What the configuration file and systemd's watchdog say to the agents that have settings. */
  readonly agents: AgentConfigs
}

const FLAG_FIELDS: ReadonlyArray<readonly [string, Config.Field]> = [
  ["--socket", "socket"],
  ["--state-dir", "stateDir"],
  ["--runtime-dir", "runtimeDir"],
  ["--log-level", "logLevel"],
  ["--shutdown-deadline", "shutdownDeadlineMs"]
]

const flagsOf = (parsed: Parsed): Result.Result<Partial<Config.Config>, UsageProblem> => {
  const flags: Record<string, unknown> = {}
  for (const [name, field] of FLAG_FIELDS) {
    const raw = flag(parsed, name)
    if (raw === undefined) continue
    const decoded = Config.decodeSetting(field, raw)
    if (Result.isFailure(decoded)) return Result.fail(new UsageProblem({ message: `${name} '${raw}': ${decoded.failure}` }))
    flags[field] = decoded.success
  }
  // A runtime directory given on the command line takes the socket along unless it is named too.
  if (flags.runtimeDir !== undefined && flags.socket === undefined) {
    flags.socket = `${String(flags.runtimeDir).replace(/\/+$/, "")}/control.sock`
  }
  return Result.succeed(flags as Partial<Config.Config>)
}

/** The config file: --config (must exist), else systemd's CONFIGURATION_DIRECTORY or /etc/sigmavault (if present). */
const fileOf = (parsed: Parsed, env: Readonly<Record<string, string | undefined>>) => {
  const options: Config.ParseOptions = { checkSchedule: scheduleProblem }
  const named = flag(parsed, "--config")
  if (named !== undefined) return Config.loadConfig(named, options)
  const directory = env.CONFIGURATION_DIRECTORY?.split(":")[0]
  return Config.loadConfigIfExists(directory ? `${directory}/sigmavault.conf` : Config.DEFAULT_CONFIG_FILE, options)
}

/** A group name or id to a gid, through /etc/group (Node has no getgrnam). */
const gidOf = (group: string | number | undefined): Effect.Effect<number | undefined, StartProblem> => {
  if (group === undefined || typeof group === "number") return Effect.succeed(group)
  return Effect.tryPromise({
    try: () => readFile("/etc/group", "utf8"),
    catch: (error) => new StartProblem({ message: `cannot read /etc/group to find group '${group}': ${String(error)}` })
  }).pipe(
    Effect.flatMap((text) => {
      const line = text.split("\n").find((l) => l.split(":")[0] === group)
      const gid = line === undefined ? NaN : Number(line.split(":")[2])
      return Number.isInteger(gid)
        ? Effect.succeed(gid)
        : Effect.fail(new StartProblem({ message: `socket_group '${group}' is not a group on this machine (see /etc/group)` }))
    })
  )
}

const LEVELS: Record<Config.LogLevel, LogLevel.LogLevel> = {
  trace: "Trace",
  debug: "Debug",
  info: "Info",
  warn: "Warn",
  error: "Error"
}

export const resolveDaemonSettings = (
  parsed: Parsed,
  env: Readonly<Record<string, string | undefined>>
): Effect.Effect<RunSettings, UsageProblem | StartProblem | Config.ConfigError> =>
  Effect.gen(function*() {
    const flags = yield* Effect.fromResult(flagsOf(parsed))
    const file = yield* fileOf(parsed, env)
    const config = Config.configOf(yield* Effect.fromResult(Config.resolveSettings({ file, env, flags })))
    return {
      runtimeDir: config.runtimeDir,
      stateDir: config.stateDir,
      socketPath: config.socket,
      socketMode: config.socketMode,
      socketGid: yield* gidOf(config.socketGroup),
      logLevel: LEVELS[config.logLevel],
      shutdownDeadlineMs: config.shutdownDeadlineMs,
      maxFrameBytes: config.maxFrameBytes,
      maxConnections: config.maxConnections,
      clientBufferEvents: config.clientBufferEvents,
      askTimeoutMs: config.askTimeoutMs,
      mailboxCapacity: config.mailboxCapacity,
      testFaults: hasFlag(parsed, "--test-faults"),
      agents: agentConfigsOf(config, watchdogIntervalMs(env, process.pid)),
      dbus: yield* Effect.fromResult(dbusOf(parsed, env))
    }
  })
