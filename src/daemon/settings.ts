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
import type { Group, Roles } from "../access/Policy.ts"
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
  /** The metric history's caps (history_max_series, history_max_bytes). */
  readonly history: { readonly maxSeries: number; readonly maxBytes: number }
  /** VANGUARD's apt world (vanguard_apt_config, vanguard_reboot_required). */
  readonly apt: { readonly aptConfig: string | undefined; readonly rebootRequired: string }
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
  return Config.loadConfigIfExists(configPathOf(parsed, env), options)
}

/** The configuration file's path, as fileOf reads it (FORTRESS audits its mode). */
const configPathOf = (parsed: Parsed, env: Readonly<Record<string, string | undefined>>): string => {
  const named = flag(parsed, "--config")
  if (named !== undefined) return named
  const directory = env.CONFIGURATION_DIRECTORY?.split(":")[0]
  return directory ? `${directory}/sigmavault.conf` : Config.DEFAULT_CONFIG_FILE
}

/** The machine's groups, name to gid, from /etc/group (Node has no getgrnam). */
const readGroups = Effect.tryPromise({
  try: () => readFile("/etc/group", "utf8"),
  catch: (error) => new StartProblem({ message: `cannot read /etc/group to find the configured groups: ${String(error)}` })
}).pipe(Effect.map((text) =>
  new Map(text.split("\n").flatMap((line) => {
    const [name, , gid] = line.split(":")
    return name !== undefined && name !== "" && Number.isInteger(Number(gid)) && gid !== "" ? [[name, Number(gid)] as const] : []
  }))
))

/** A configured group (name or gid) as the policy holds it; `key` names the setting in the error. */
const groupOf = (groups: ReadonlyMap<string, number>, key: string, group: string | number): Effect.Effect<Group, StartProblem> => {
  if (typeof group === "number") {
    const name = [...groups].find(([, gid]) => gid === group)?.[0]
    return Effect.succeed({ name: name ?? `gid ${group}`, gid: group })
  }
  const gid = groups.get(group)
  return gid === undefined
    ? Effect.fail(new StartProblem({ message: `${key} names '${group}', which is not a group on this machine (see /etc/group)` }))
    : Effect.succeed({ name: group, gid })
}

/** `file_roots` as configured; `/` is refused, as it would put every file within a job's reach. */
const fileRootsOf = (roots: ReadonlyArray<string> | undefined): Effect.Effect<ReadonlyArray<string> | undefined, StartProblem> =>
  roots?.some((root) => root.replace(/\/+$/, "") === "")
    ? Effect.fail(new StartProblem({ message: "file_roots names /, which would put every file on the machine within a file job's reach; name the directories that hold shared data, e.g. /srv,/tank" }))
    : Effect.succeed(roots)

/** The roles' groups; by default the socket's group may read, and nobody else holds a role (root is always admin). */
const rolesOf = (config: Config.Config): Effect.Effect<Roles, StartProblem> =>
  Effect.gen(function*() {
    const groups = yield* readGroups
    const resolve = (key: string, configured: ReadonlyArray<string | number> | undefined) =>
      Effect.forEach(configured ?? [], (group) => groupOf(groups, key, group))
    return {
      read: yield* resolve("role_read", config.roleRead ?? (config.socketGroup === undefined ? [] : [config.socketGroup])),
      operate: yield* resolve("role_operate", config.roleOperate),
      admin: yield* resolve("role_admin", config.roleAdmin)
    }
  })

/**
 * `metrics_listen` as the daemon binds it. A non-loopback address is refused
 * unless `metrics_listen_remote = true`: the metrics are served without
 * authentication (docs/security.md).
 */
const metricsListenOf = (config: Config.Config): Effect.Effect<DaemonSettings["metricsListen"], StartProblem> => {
  if (config.metricsListen === undefined) return Effect.succeed(undefined)
  const listen = Config.parseListen(config.metricsListen)
  if (typeof listen === "string") return Effect.fail(new StartProblem({ message: `metrics_listen: ${listen}` }))
  if (!Config.isLoopback(listen.host) && !config.metricsListenRemote) {
    return Effect.fail(new StartProblem({
      message: `metrics_listen ${config.metricsListen} is not a loopback address; the metrics are served without authentication, ` +
        "so anyone who can reach that address could read them. Use 127.0.0.1 (and let Prometheus reach it through a proxy or tunnel), " +
        "or set metrics_listen_remote = true to serve them there anyway"
    }))
  }
  return Effect.succeed(listen)
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
      socketGid: config.socketGroup === undefined ? undefined : (yield* groupOf(yield* readGroups, "socket_group", config.socketGroup)).gid,
      roles: yield* rolesOf(config),
      fileRoots: yield* fileRootsOf(config.fileRoots),
      fileJobMaxBytes: config.fileJobMaxBytes,
      shares: { smbConf: config.smbConfig, exportsDir: config.nfsExportsDir },
      clientIdleTimeoutMs: config.clientIdleTimeoutSeconds * 1000,
      metricsIntervalMs: config.metricsIntervalSeconds * 1000,
      logLevel: LEVELS[config.logLevel],
      shutdownDeadlineMs: config.shutdownDeadlineMs,
      maxFrameBytes: config.maxFrameBytes,
      maxConnections: config.maxConnections,
      clientBufferEvents: config.clientBufferEvents,
      askTimeoutMs: config.askTimeoutMs,
      mailboxCapacity: config.mailboxCapacity,
      testFaults: hasFlag(parsed, "--test-faults"),
      agents: agentConfigsOf(config, watchdogIntervalMs(env, process.pid), {
        configFile: configPathOf(parsed, env),
        uid: process.getuid?.() ?? 0
      }),
      dbus: yield* Effect.fromResult(dbusOf(parsed, env)),
      history: { maxSeries: config.historyMaxSeries, maxBytes: config.historyMaxBytes },
      apt: { aptConfig: config.vanguardAptConfig, rebootRequired: config.vanguardRebootRequired },
      metricsListen: yield* metricsListenOf(config)
    }
  })
