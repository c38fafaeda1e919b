/**
 * The daemon's settings: their types, rules and defaults (the `Config`
 * schema), how each one is written in the configuration file (a text codec per
 * key), and the error every configuration problem becomes. The file's syntax
 * lives in parse.ts, reading it in load.ts, and the layering of defaults,
 * file, environment and flags in resolve.ts.
 *
 * Every failing rule explains itself: the reason names the value, what is
 * wrong with it and what is expected, so that `ConfigError` can print
 * `file:line: key: reason` and an administrator knows what to change.
 */
import { DateTime, Effect, Option, Result, Schema, SchemaIssue, SchemaTransformation } from "effect"
import { defaultFortressConfig } from "../actors/fortress/config.ts"
import { defaultHelixConfig } from "../actors/helix/config.ts"
import { loopbackProblem } from "../adapters/llm/Llm.ts"
import { defaultLinguaConfig } from "../actors/lingua/config.ts"
import { defaultLatticeConfig } from "../actors/lattice/config.ts"
import { defaultVelocityConfig } from "../actors/velocity/config.ts"
import { defaultVanguardConfig } from "../actors/vanguard/config.ts"
import { DEFAULT_HISTORY_MAX_BYTES, DEFAULT_HISTORY_MAX_SERIES } from "../history/limits.ts"
import { DEFAULT_METRICS_INTERVAL_MS } from "../daemon/MetricsSampler.ts"
import { defaultNeuralConfig } from "../actors/neural/config.ts"
import { defaultNexusConfig } from "../actors/nexus/config.ts"
import { defaultFluxConfig } from "../actors/flux/config.ts"
import { defaultAxiomConfig } from "../actors/axiom/config.ts"
import { defaultScribeConfig } from "../actors/scribe/config.ts"
import { defaultApexConfig } from "../actors/apex/config.ts"
import { defaultOracleConfig } from "../actors/oracle/config.ts"
import * as OrbitCron from "../actors/orbit/cron.ts"
import { AgentName, Name } from "../actors/shared/fields.ts"
import { defaultPhotonConfig } from "../actors/photon/config.ts"
import { defaultPulseConfig } from "../actors/pulse/config.ts"
import { defaultPrismConfig } from "../actors/prism/config.ts"
import { defaultSentryConfig } from "../actors/sentry/config.ts"
import { defaultPhantomConfig } from "../actors/phantom/config.ts"
import { parseSubnet } from "../actors/phantom/subnet.ts"
import { isHostName, isIPv4, isIPv6 } from "../actors/forge/wireguard.ts"

// ---- the error ----------------------------------------------------------------

/**
 * A configuration problem. `file` is the configuration file's path, or
 * `environment` / `command line` for a bad value from those layers; `line` is
 * 1-based, undefined when the problem is not on one line (an unreadable
 * file); `key` is the key as written (or the environment variable), undefined
 * when the line has none.
 *
 * `line` and `key` are required even when undefined: Bun (JavaScriptCore)
 * gives every Error its own `line` property, which would show through an
 * omitted field.
 */
export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", {
  file: Schema.String,
  line: Schema.UndefinedOr(Schema.Number),
  key: Schema.UndefinedOr(Schema.String),
  reason: Schema.String
}) {
  override get message() {
    const where = this.line === undefined ? this.file : `${this.file}:${this.line}`
    return `${where}: ${this.key === undefined ? "" : `${printable(this.key)}: `}${this.reason}`
  }
}

/**
 * User text as it may appear inside a one-line message: control characters
 * escaped, and cut short when long.
 */
export const printable = (text: string, max = 60): string => {
  const escaped = JSON.stringify(text).slice(1, -1).replaceAll("\\\"", "\"")
  return escaped.length > max ? `${escaped.slice(0, max - 1)}…` : escaped
}

/** A value quoted for a message: 'like this'. */
const shown = (text: string) => `'${printable(text)}'`

// ---- rules on typed values ----------------------------------------------------

/** A check whose failure is the reason it returns: what is wrong with the value and what is expected. */
const rule = <T>(check: (value: T) => string | undefined) => Schema.makeFilter<T>(check)

const ABSOLUTE_PATH = "an absolute path (starting with /)"

const absolutePathRule = (path: string) =>
  /[\x00-\x1f\x7f]/.test(path)
    ? `the path ${shown(path)} contains a control character; expected ${ABSOLUTE_PATH}`
    : path.startsWith("/")
    ? undefined
    : `${shown(path)} is not an absolute path; expected ${ABSOLUTE_PATH}`

/** Linux keeps a socket's path in sockaddr_un.sun_path: 108 bytes, the last one NUL. */
export const MAX_SOCKET_PATH_BYTES = 107

const AbsolutePath = Schema.String.check(rule(absolutePathRule))

const SocketPath = Schema.String.check(rule((path: string) => {
  const notAbsolute = absolutePathRule(path)
  if (notAbsolute !== undefined) return notAbsolute
  const bytes = new TextEncoder().encode(path).length
  return bytes <= MAX_SOCKET_PATH_BYTES
    ? undefined
    : `the path is ${bytes} bytes long; a Unix socket path may be at most ${MAX_SOCKET_PATH_BYTES} bytes`
}))

const wholeNumberExpected = (min: number, max: number) => `a whole number from ${min} to ${max}`

const WholeNumber = (min: number, max: number) =>
  Schema.Number.check(rule((n: number) =>
    !Number.isSafeInteger(n)
      ? `${n} is not a whole number; expected ${wholeNumberExpected(min, max)}`
      : n < min || n > max
      ? `${n} is out of range; expected ${wholeNumberExpected(min, max)}`
      : undefined
  ))

export const OnOff = Schema.Literals(["on", "off"])
const ON_OFF_EXPECTED = "on or off"
const ZSTD_LEVELS_EXPECTED = "zstd levels 1…19 separated by commas, e.g. 1,2,3,5,7,9"

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error"] as const
export const LogLevel = Schema.Literals(LOG_LEVELS)
export type LogLevel = typeof LogLevel.Type
const LOG_LEVEL_EXPECTED = "trace, debug, info, warn or error"

/** The largest gid: (gid_t)-1 means "no group" to chown. */
export const MAX_GID = 4294967294
const GROUP_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/
const GROUP_EXPECTED = `a group name such as sigmavault (letters, digits, _ . -; at most 32 characters) or a gid from 0 to ${MAX_GID}`

/** A group by name, or by number (a gid). */
const Group = Schema.Union([Schema.String, Schema.Number]).check(rule((group: string | number) =>
  typeof group === "number"
    ? Number.isSafeInteger(group) && group >= 0 && group <= MAX_GID
      ? undefined
      : `gid ${group} is out of range; expected ${GROUP_EXPECTED}`
    : GROUP_NAME.test(group)
    ? undefined
    : `${shown(group)} is not a group name or gid; expected ${GROUP_EXPECTED}`
))

const octal = (mode: number) => `0${mode.toString(8).padStart(3, "0")}`
const MODE_EXPECTED = "an octal mode such as 0660 (three octal digits, optionally after a 0)"

/** Permission bits of the control socket: never any for others. */
const SocketMode = Schema.Number.check(rule((mode: number) => {
  if (!Number.isSafeInteger(mode) || mode < 0 || mode > 0o777) return `${mode} is not a permission mode; expected ${MODE_EXPECTED}`
  if ((mode & 0o007) === 0) return undefined
  const withoutOthers = mode & ~0o007
  return `${octal(mode)} grants access to others (o+rwx bits must be 0); expected a mode ending in 0, such as ${
    octal(withoutOthers === 0 ? 0o660 : withoutOthers)
  }`
}))

/** systemd unit names: letters, digits and `:_.@\\-`, not starting with `-`; `.service` may be left out. */
const UNIT_NAME = /^[A-Za-z0-9:_.@\\][A-Za-z0-9:_.@\\-]{0,255}$/
const UNITS_EXPECTED = "systemd unit names separated by commas, e.g. smbd,nfs-server,zfs-zed"
const GROUPS_EXPECTED = "group names or gids separated by commas, e.g. sigmavault-operators,wheel"
const PATHS_EXPECTED = "absolute paths separated by commas, e.g. /srv,/tank/media"
const UnitName = Schema.String.check(rule((text: string) =>
  UNIT_NAME.test(text) ? undefined : `${shown(text)} is not a systemd unit name; expected ${UNITS_EXPECTED}`
))

// ---- LINGUA's local model ------------------------------------------------------------

const LLM_URL_EXPECTED = "an http(s) URL on this machine (localhost, 127.x.x.x or [::1]), e.g. http://127.0.0.1:8080/v1/chat/completions"
const LlmUrl = Schema.String.check(rule((text: string) => {
  const problem = loopbackProblem(text)
  return problem === undefined ? undefined : `${problem}; expected ${LLM_URL_EXPECTED}`
}))

// ---- WireGuard (PHANTOM) ---------------------------------------------------------

const WG_INTERFACE_EXPECTED = "an interface name of up to 15 letters, digits or _=+.-, e.g. wg0"
const WireguardInterface = Schema.String.check(rule((text: string) =>
  /^[a-zA-Z0-9_=+.-]{1,15}$/.test(text) && text !== "." && text !== ".." ? undefined : `${shown(text)} is not ${WG_INTERFACE_EXPECTED}`
))
const WG_SUBNET_EXPECTED = "an IPv4 subnet with a prefix from /8 to /30, e.g. 10.8.0.0/24"
const WireguardSubnet = Schema.String.check(rule((text: string) => {
  const parsed = parseSubnet(text)
  return typeof parsed === "string" ? `${shown(text)} is not ${WG_SUBNET_EXPECTED}` : undefined
}))
const WG_ENDPOINT_EXPECTED = "the host name or address peers reach this server at, e.g. vpn.example.org or 203.0.113.7"
const WireguardEndpoint = Schema.String.check(rule((text: string) =>
  isIPv4(text) || isHostName(text) || isIPv6(text) ? undefined : `${shown(text)} is not ${WG_ENDPOINT_EXPECTED}`
))
const WG_DNS_EXPECTED = "IP addresses separated by commas, e.g. 10.8.0.1,1.1.1.1"
const DnsServer = Schema.String.check(rule((text: string) =>
  isIPv4(text) || isIPv6(text) ? undefined : `${shown(text)} is not an IP address; expected ${WG_DNS_EXPECTED}`
))

const TIME_ZONE_EXPECTED = "an IANA time zone such as Europe/Berlin or UTC, or an offset such as +01:00"
const TimeZone = Schema.String.check(rule((zone: string) =>
  Option.isSome(DateTime.zoneFromString(zone)) ? undefined : `${shown(zone)} is not a known time zone; expected ${TIME_ZONE_EXPECTED}`
))

/** Cron expressions are ORBIT's dialect (actors/orbit/cron.ts); the zone only matters for when they run, not whether they parse. */
const cronProblem = (expression: string): string | undefined => {
  const parsed = OrbitCron.parse(expression, DateTime.zoneMakeOffset(0))
  return Result.isFailure(parsed) ? parsed.failure.message : undefined
}

/** `scrub_schedule = none`: LATTICE schedules no scrubs. */
export const NO_SCHEDULE = "none"
const SCRUB_EXPECTED = "a cron expression such as \"0 3 1 * *\" (five fields, or an alias like @monthly), or none"
const ScrubSchedule = Schema.String.check(rule((text: string) => {
  if (text === NO_SCHEDULE) return undefined
  const problem = cronProblem(text)
  return problem === undefined ? undefined : `${problem}; expected ${SCRUB_EXPECTED}`
}))

/** `snapshot_schedule = none`: HELIX registers no scheduled run (its policies still answer `prune` and `autosnap` by hand). */
const SNAPSHOT_EXPECTED = "a cron expression such as \"*/15 * * * *\" (five fields, or an alias like @hourly), or none"
const SnapshotSchedule = Schema.String.check(rule((text: string) => {
  if (text === NO_SCHEDULE) return undefined
  const problem = cronProblem(text)
  return problem === undefined ? undefined : `${problem}; expected ${SNAPSHOT_EXPECTED}`
}))

/** `scribe_schedule = none`: SCRIBE registers no scheduled reports with ORBIT (reports are still written on request). */
const REPORT_SCHEDULE_EXPECTED = "a cron expression such as \"0 7 * * 1\" (five fields, or an alias like @weekly), or none"
const ReportSchedule = Schema.String.check(rule((text: string) => {
  if (text === NO_SCHEDULE) return undefined
  const problem = cronProblem(text)
  return problem === undefined ? undefined : `${problem}; expected ${REPORT_SCHEDULE_EXPECTED}`
}))

const CAPACITY_EXPECTED = "three whole percentages, rising, for warn, high and critical, e.g. 80,90,95"
interface CapacityPercent {
  readonly warn: number
  readonly high: number
  readonly critical: number
}
const capacityProblem = ({ critical, high, warn }: CapacityPercent): string | undefined =>
  [warn, high, critical].every((n) => Number.isSafeInteger(n) && n >= 1 && n <= 100) && warn < high && high < critical
    ? undefined
    : `${[warn, high, critical].join(",")} are not three rising percentages from 1 to 100; expected ${CAPACITY_EXPECTED}`
const CapacityPercent = Schema.Struct({ warn: Schema.Number, high: Schema.Number, critical: Schema.Number }).check(rule(capacityProblem))

/**
 * An alert's two levels: raised at or above the first, cleared only at or
 * below the second, which must be lower (the gap is what stops flapping).
 */
interface AlertLevels {
  readonly raiseAt: number
  readonly clearAt: number
}
interface AlertScale {
  /** What one level is, for messages: "a whole percentage from 1 to 100". */
  readonly unit: string
  readonly example: string
  readonly isLevel: (n: number) => boolean
  /** The syntax of one level as written. */
  readonly syntax: RegExp
  readonly format: (n: number) => string
}
const percentScale: AlertScale = {
  unit: "whole percentages from 0 to 100",
  example: "90,75",
  isLevel: (n) => Number.isSafeInteger(n) && n >= 0 && n <= 100,
  syntax: /^[0-9]+$/,
  format: String
}
const loadScale: AlertScale = {
  unit: "loads per CPU from 0.01 to 1000",
  example: "2.0,1.5",
  isLevel: (n) => Number.isFinite(n) && n >= 0.01 && n <= 1000,
  syntax: /^[0-9]+(\.[0-9]+)?$/,
  format: (n) => (Number.isInteger(n) ? n.toFixed(1) : String(n))
}
const alertExpected = (scale: AlertScale) => `two ${scale.unit}, raise then a lower clear, e.g. ${scale.example}`
const alertProblem = (scale: AlertScale) => ({ clearAt, raiseAt }: AlertLevels): string | undefined =>
  scale.isLevel(raiseAt) && scale.isLevel(clearAt) && clearAt < raiseAt
    ? undefined
    : `${scale.format(raiseAt)},${scale.format(clearAt)} is not a raise level above a clear level; expected ${alertExpected(scale)}`
const AlertLevels = (scale: AlertScale) =>
  Schema.Struct({ raiseAt: Schema.Number, clearAt: Schema.Number }).check(rule(alertProblem(scale)))

/**
 * A schedule from the file, for ORBIT: `schedule.NAME = "CRON AGENT TYPE
 * [field=value ...]"`. The message is `{"type": TYPE, field: value, …}`, a
 * value being a number when it is written as one, true or false, else text.
 */
export interface ConfiguredSchedule {
  readonly name: string
  readonly cron: string
  readonly target: string
  readonly message: { readonly type: string; readonly [field: string]: string | number | boolean }
}
type ScheduleJob = Omit<ConfiguredSchedule, "name">

export const SCHEDULE_KEY_PREFIX = "schedule."
// The names ORBIT's `add` accepts for a schedule and its target: the same rules as its messages.
const isScheduleName = Schema.is(Name)
const isAgentName = Schema.is(AgentName)
const MESSAGE_TYPE = /^[A-Za-z][A-Za-z0-9_.:-]*$/
const MESSAGE_FIELD = /^[A-Za-z][A-Za-z0-9_]*$/
const SCHEDULE_EXPECTED = "\"CRON AGENT TYPE [field=value ...]\", e.g. \"0 4 * * sun ORACLE assess\" or \"@monthly LATTICE scrub pool=tank action=start\""

const fieldValueOf = (text: string): string | number | boolean =>
  text === "true" ? true : text === "false" ? false : /^-?[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) : text

/** The job of a schedule line, or what is wrong with it. */
const scheduleJobOf = (text: string): Result.Result<ScheduleJob, string> => {
  const fail = (reason: string) => Result.fail(`${reason}; expected ${SCHEDULE_EXPECTED}`)
  const words = text.trim().split(/\s+/).filter((word) => word !== "")
  const cronWords = words[0]?.startsWith("@") ? 1 : OrbitCron.FIELDS.length
  const cron = words.slice(0, cronWords).join(" ")
  const problem = cronProblem(cron)
  if (problem !== undefined) return fail(problem)
  const [target, type, ...fields] = words.slice(cronWords)
  if (target === undefined) return fail("there is no agent after the cron expression")
  if (!isAgentName(target)) return fail(`${shown(target)} is not an agent name in capitals`)
  if (type === undefined) return fail(`there is no message type after ${target}`)
  if (!MESSAGE_TYPE.test(type)) return fail(`${shown(type)} is not a message type`)
  const message: Record<string, string | number | boolean> = { type }
  for (const field of fields) {
    const equals = field.indexOf("=")
    const name = field.slice(0, equals)
    if (equals <= 0 || equals === field.length - 1 || !MESSAGE_FIELD.test(name)) return fail(`${shown(field)} is not a field=value pair`)
    if (name in message) return fail(`the field ${name} is given twice`)
    message[name] = fieldValueOf(field.slice(equals + 1))
  }
  return Result.succeed({ cron, target, message: message as ScheduleJob["message"] })
}

const ScheduleJob = Schema.Struct({
  cron: Schema.String,
  target: Schema.String,
  message: Schema.StructWithRest(Schema.Struct({ type: Schema.String }), [
    Schema.Record(Schema.String, Schema.Union([Schema.String, Schema.Number, Schema.Boolean]))
  ])
})

/** Why `name` cannot name a schedule, or undefined. */
export const scheduleNameProblem = (name: string): string | undefined =>
  isScheduleName(name) ? undefined : `${shown(name)} is not a schedule name; expected letters, digits, _ . - (at most 64) after ${SCHEDULE_KEY_PREFIX}`

const ConfiguredSchedule = ScheduleJob.mapFields((fields) => ({ name: Schema.String.check(rule(scheduleNameProblem)), ...fields }))

// ---- metrics (PRISM) -------------------------------------------------------------

const LISTEN_EXPECTED = "HOST:PORT with an IP address (IPv6 in brackets) or localhost, e.g. 127.0.0.1:9187 or [::1]:9187"

/** `metrics_listen`: where the HTTP listener for Prometheus binds. */
export interface ListenAddress {
  readonly host: string
  readonly port: number
}

/** The address and port of `HOST:PORT`, or what is wrong with it. */
export const parseListen = (text: string): ListenAddress | string => {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+|localhost)):([0-9]{1,5})$/.exec(text)
  if (m === null) return `${shown(text)} is not ${LISTEN_EXPECTED}`
  const host = m[1] ?? m[2]!
  const port = Number(m[3])
  if (port < 1 || port > 65_535) return `port ${m[3]} is out of range; expected ${LISTEN_EXPECTED}`
  if (host !== "localhost" && !isIPv4(host) && !isIPv6(host)) return `${shown(host)} is not an IP address; expected ${LISTEN_EXPECTED}`
  return { host, port }
}

/** Loopback addresses: 127.0.0.0/8, ::1, localhost. */
export const isLoopback = (host: string): boolean =>
  host === "localhost" || /^127\.[0-9.]+$/.test(host) || /^(0{0,4}:){2,7}0{0,3}1$/.test(host) && host.includes("::") || host === "0:0:0:0:0:0:0:1" ||
  /^::ffff:127\./i.test(host)

const MetricsListen = Schema.String.check(rule((text: string) => {
  const parsed = parseListen(text)
  return typeof parsed === "string" ? parsed : undefined
}))

const TEXTFILE_EXPECTED = "an absolute path ending in .prom (node_exporter's textfile collector reads only those), e.g. /var/lib/prometheus/node-exporter/sigmavault.prom"
const TextfilePath = Schema.String.check(rule((path: string) => {
  const notAbsolute = absolutePathRule(path)
  if (notAbsolute !== undefined) return notAbsolute
  return /[^/]\.prom$/.test(path) ? undefined : `${shown(path)} does not end in .prom; expected ${TEXTFILE_EXPECTED}`
}))

const BOOLEAN_EXPECTED = "true or false"
const booleanText: Schema.Codec<boolean, string> = Schema.String.check(rule((text: string) =>
  text === "true" || text === "false" ? undefined : `${shown(text)} is not ${BOOLEAN_EXPECTED}`
)).pipe(Schema.decodeTo(
  Schema.Boolean,
  SchemaTransformation.transform({ decode: (text: string) => text === "true", encode: (value: boolean) => String(value) })
))

// ---- the settings -------------------------------------------------------------

/** The daemon's settings, typed and checked. */
export const Config = Schema.Struct({
  /** Control socket path. */
  socket: SocketPath,
  /** Group that may use the socket; undefined: the daemon's own group. */
  socketGroup: Schema.UndefinedOr(Group),
  /** Permission bits of the socket, e.g. 0o660. */
  socketMode: SocketMode,
  stateDir: AbsolutePath,
  runtimeDir: AbsolutePath,
  logLevel: LogLevel,
  /** How long a graceful stop may drain mailboxes; agents still busy then are interrupted. */
  shutdownDeadlineMs: WholeNumber(0, 600_000),
  /** Largest control-socket frame. */
  maxFrameBytes: WholeNumber(1024, 67_108_864),
  /** Control-socket connections open at once. */
  maxConnections: WholeNumber(1, 65_536),
  /** Events a subscriber may fall behind before it loses the oldest. */
  clientBufferEvents: WholeNumber(16, 1_000_000),
  /** Default timeout of asks over the socket. */
  askTimeoutMs: WholeNumber(1, 3_600_000),
  /** Default capacity of an agent's mailbox. */
  mailboxCapacity: WholeNumber(1, 1_000_000),
  /** systemd units PULSE reports on; undefined: none. */
  watchServices: Schema.UndefinedOr(Schema.Array(UnitName)),
  /** How often PULSE asks systemd about them. */
  watchServicesIntervalSeconds: WholeNumber(5, 3600),
  /** The zone ORBIT reads cron expressions in; undefined: the machine's local zone. */
  timeZone: Schema.UndefinedOr(TimeZone),
  /** Schedules ORBIT runs from the start, besides its built-in ones; undefined: none. */
  schedules: Schema.UndefinedOr(Schema.Array(ConfiguredSchedule)),
  /** How often LATTICE reads the pools. */
  poolCheckIntervalSeconds: WholeNumber(10, 86_400),
  /** The used-capacity levels at which LATTICE alerts. */
  poolCapacityPercent: CapacityPercent,
  /** When LATTICE has every pool scrubbed, through ORBIT; "none": LATTICE schedules no scrubs. */
  scrubSchedule: ScrubSchedule,
  /** When HELIX takes the snapshots its policies say are due and autoprunes, through ORBIT; "none": no scheduled run. */
  snapshotSchedule: SnapshotSchedule,
  /** How often ORACLE reads every disk's SMART data. */
  smartCheckIntervalHours: WholeNumber(1, 720),
  /** How often SENTRY samples /proc. */
  resourceCheckIntervalSeconds: WholeNumber(1, 3600),
  /** SENTRY's alert levels: CPU busy %, memory used %, per-disk busy %, 1-minute load per CPU. */
  cpuAlertPercent: AlertLevels(percentScale),
  memoryAlertPercent: AlertLevels(percentScale),
  diskBusyAlertPercent: AlertLevels(percentScale),
  loadAlertPerCpu: AlertLevels(loadScale),
  /** Consecutive samples at or above a raise level before SENTRY alerts. */
  resourceAlertSamples: WholeNumber(1, 100),
  /** How often PHOTON samples /sys/class/net. */
  linkSampleIntervalSeconds: WholeNumber(1, 3600),
  /** rx + tx errors on a link within one sample interval that raise PHOTON's error-burst alert. */
  linkErrorBurst: WholeNumber(1, 1_000_000_000),
  /** Carrier changes within the flap window that raise PHOTON's flapping alert (a down-and-up is 2). */
  linkFlapChanges: WholeNumber(2, 10_000),
  linkFlapWindowSeconds: WholeNumber(10, 86_400),
  /** Groups whose members may look (read); undefined: the socket group. */
  roleRead: Schema.UndefinedOr(Schema.Array(Group)),
  /** Groups whose members may also run routine jobs on their own data (operate). */
  roleOperate: Schema.UndefinedOr(Schema.Array(Group)),
  /** Groups whose members may do anything a caller can (admin); root always may. */
  roleAdmin: Schema.UndefinedOr(Schema.Array(Group)),
  /** Where file jobs may read and write; undefined: /srv and every mounted ZFS dataset. */
  fileRoots: Schema.UndefinedOr(Schema.Array(AbsolutePath)),
  /** The largest input a file job takes, in bytes. */
  fileJobMaxBytes: WholeNumber(1, Number.MAX_SAFE_INTEGER),
  clientIdleTimeoutSeconds: WholeNumber(1, 86_400),
  /** How often FORTRESS audits the host; 0: only when asked. */
  auditIntervalHours: WholeNumber(0, 720),
  /** The sshd configuration FORTRESS has `sshd -T` read. */
  auditSshdConfig: AbsolutePath,
  /** Samba's configuration file FORTRESS reads (with its includes and the registry it points to). */
  auditSmbConfig: AbsolutePath,
  /** The NFS exports file and the directory of *.exports files FORTRESS reads. */
  auditNfsExports: AbsolutePath,
  auditNfsExportsDir: AbsolutePath,
  /** Ports a service may listen on every interface without a FORTRESS finding. */
  auditAllowedPorts: Schema.Array(WholeNumber(1, 65_535)),
  /** PHANTOM: the WireGuard interface it configures, its port, the tunnel subnet, where peers reach it, DNS for peers. */
  wireguardInterface: WireguardInterface,
  wireguardListenPort: WholeNumber(1, 65_535),
  wireguardSubnet: WireguardSubnet,
  wireguardEndpoint: Schema.UndefinedOr(WireguardEndpoint),
  wireguardDns: Schema.UndefinedOr(Schema.Array(DnsServer)),
  /** Where BRIDGE's shares may point; undefined: /srv and every mounted ZFS dataset. */
  shareRoots: Schema.UndefinedOr(Schema.Array(AbsolutePath)),
  /** The smb.conf BRIDGE gives `net` and `smbcontrol` (-s); undefined: Samba's own default. */
  smbConfig: Schema.UndefinedOr(AbsolutePath),
  /** Where BRIDGE writes NFS export files (sigmavault-NAME.exports). */
  nfsExportsDir: AbsolutePath,
  /** VELOCITY: the test file's size and each preset's runtime when a request names none; results kept. */
  velocitySizeMib: WholeNumber(1, 16_384),
  velocitySeconds: WholeNumber(1, 60),
  velocityHistory: WholeNumber(1, 10_000),
  /** The metric history (docs/history.md): most series kept, and most bytes of memory they may take. */
  historyMaxSeries: WholeNumber(1, 1_000_000),
  historyMaxBytes: WholeNumber(1_048_576, 68_719_476_736),
  /** How often the daemon records the runtime's own metrics (messages, mailboxes, latency, restarts) in the metric history. */
  metricsIntervalSeconds: WholeNumber(10, 3600),
  // NEURAL's tuning of TENSOR's zstd level (docs/tuning.md).
  /** "off": TENSOR keeps its fixed levels; NEURAL still records outcomes. */
  tuning: OnOff,
  /** The most jobs per content class that may try another level, in percent. */
  tuningExplorePercent: WholeNumber(0, 20),
  /** The zstd levels the bandit chooses among (a class's default level is always one). */
  tuningLevels: Schema.Array(WholeNumber(1, 19)),
  /** PRISM: where the HTTP listener for Prometheus binds (HOST:PORT); undefined: no listener. */
  metricsListen: Schema.UndefinedOr(MetricsListen),
  /** Serve the metrics on an address other than loopback (they are unauthenticated). */
  metricsListenRemote: Schema.Boolean,
  /** PRISM: where it writes the exposition for node_exporter's textfile collector; undefined: nowhere. */
  metricsTextfile: Schema.UndefinedOr(TextfilePath),
  /** How often PRISM rewrites the textfile. */
  metricsTextfileIntervalSeconds: WholeNumber(10, 86_400),
  /** NEXUS (docs/incidents.md): the wait before an incident's first notification, the least time between updates. */
  incidentGroupWaitSeconds: WholeNumber(0, 3600),
  incidentGroupIntervalSeconds: WholeNumber(10, 86_400),
  /** How long an alert of an agent that never announces recovery fires without being raised again; 0: until it recovers. */
  incidentResolveTimeoutSeconds: WholeNumber(0, 7_776_000),
  /** How recent an incident must be for a related alert (other than an effect of its root) to join it. */
  incidentWindowSeconds: WholeNumber(60, 604_800),
  /** Incidents kept (the oldest resolved go first) and distinct alerts kept per incident. */
  incidentsKept: WholeNumber(10, 100_000),
  incidentMaxAlerts: WholeNumber(10, 100_000),
  /** AXIOM: alert when a pool is forecast full within this many days (0: never); how often it checks; the history window it fits. */
  forecastAlertDays: WholeNumber(0, 366),
  forecastCheckIntervalHours: WholeNumber(1, 168),
  forecastWindowDays: WholeNumber(1, 366),
  fluxMaxRules: WholeNumber(1, 10_000),
  fluxRingSize: WholeNumber(10, 100_000),
  fluxMetricIntervalSeconds: WholeNumber(10, 3600),
  fluxLoopMaxFirings: WholeNumber(1, 10_000),
  fluxLoopWindowSeconds: WholeNumber(10, 86_400),
  /** SCRIBE: when ORBIT asks for the reports (none: only on request); how many are archived and how many bytes they may take. */
  scribeSchedule: ReportSchedule,
  scribeKeep: WholeNumber(1, 100_000),
  scribeMaxBytes: WholeNumber(1_048_576, 68_719_476_736),
  /** VANGUARD (docs/updates.md): how often it checks for updates (0: only when asked), whether that check refreshes the index first. */
  updateCheckIntervalHours: WholeNumber(0, 720),
  updateCheckRefresh: Schema.Boolean,
  /** The APT_CONFIG file every apt call gets; undefined: the host's apt configuration. */
  vanguardAptConfig: Schema.UndefinedOr(AbsolutePath),
  /** Debian's reboot-required flag file (its .pkgs sibling names the packages). */
  vanguardRebootRequired: AbsolutePath,
  /** APEX (docs/plans.md): tasks of a plan running at once unless it says; a task's timeout unless it says; finished plans kept; tasks per plan; plans running at once. */
  apexConcurrency: WholeNumber(1, 256),
  apexTaskTimeoutSeconds: WholeNumber(1, 86_400),
  apexPlansKept: WholeNumber(1, 10_000),
  apexMaxTasks: WholeNumber(1, 100_000),
  apexMaxRunningPlans: WholeNumber(1, 1000),
  /** LINGUA: how old its lists of names may be when a sentence arrives; the local model for sentences its grammar does not know (loopback only). */
  linguaListTtlSeconds: WholeNumber(1, 3600),
  linguaLlmUrl: Schema.UndefinedOr(LlmUrl)
})
type ConfigType = typeof Config.Type
export interface Config extends ConfigType {}

export type Field = keyof Config

const levelsOf = ({ clearAt, raiseAt }: AlertLevels): AlertLevels => ({ raiseAt, clearAt })

export const defaults: Config = {
  socket: "/run/sigmavault/control.sock",
  socketGroup: undefined,
  socketMode: 0o660,
  stateDir: "/var/lib/sigmavault",
  runtimeDir: "/run/sigmavault",
  logLevel: "info",
  shutdownDeadlineMs: 5000,
  maxFrameBytes: 1_048_576,
  maxConnections: 4096,
  clientBufferEvents: 1024,
  askTimeoutMs: 5000,
  mailboxCapacity: 1024,
  watchServices: undefined,
  // The agents' own defaults, so a daemon without a configuration file runs them exactly as tests and `selftest` do.
  watchServicesIntervalSeconds: defaultPulseConfig.livenessIntervalMs / 1000,
  timeZone: undefined,
  schedules: undefined,
  poolCheckIntervalSeconds: defaultLatticeConfig.intervalMs / 1000,
  poolCapacityPercent: defaultLatticeConfig.capacity,
  scrubSchedule: defaultLatticeConfig.scheduleScrubs ? defaultLatticeConfig.scrubCron : NO_SCHEDULE,
  snapshotSchedule: defaultHelixConfig.scheduleSnapshots ? defaultHelixConfig.snapshotCron : NO_SCHEDULE,
  smartCheckIntervalHours: defaultOracleConfig.intervalMs / 3_600_000,
  resourceCheckIntervalSeconds: defaultSentryConfig.intervalMs / 1000,
  cpuAlertPercent: levelsOf(defaultSentryConfig.thresholds.cpu),
  memoryAlertPercent: levelsOf(defaultSentryConfig.thresholds.memory),
  diskBusyAlertPercent: levelsOf(defaultSentryConfig.thresholds.disk),
  loadAlertPerCpu: levelsOf(defaultSentryConfig.thresholds.load),
  resourceAlertSamples: defaultSentryConfig.thresholds.cpu.forSamples,
  linkSampleIntervalSeconds: defaultPhotonConfig.intervalMs / 1000,
  linkErrorBurst: defaultPhotonConfig.errorBurst,
  linkFlapChanges: defaultPhotonConfig.flapChanges,
  linkFlapWindowSeconds: defaultPhotonConfig.flapWindowMs / 1000,
  roleRead: undefined,
  roleOperate: undefined,
  roleAdmin: undefined,
  fileRoots: undefined,
  fileJobMaxBytes: 1024 ** 4,
  clientIdleTimeoutSeconds: 300,
  auditIntervalHours: defaultFortressConfig.intervalMs / 3_600_000,
  auditSshdConfig: defaultFortressConfig.sshdConfig,
  auditSmbConfig: defaultFortressConfig.smbConfig,
  auditNfsExports: defaultFortressConfig.nfsExports,
  auditNfsExportsDir: defaultFortressConfig.nfsExportsDir,
  auditAllowedPorts: defaultFortressConfig.allowedPorts,
  wireguardInterface: defaultPhantomConfig.interface,
  wireguardListenPort: defaultPhantomConfig.listenPort,
  wireguardSubnet: defaultPhantomConfig.subnet,
  wireguardEndpoint: undefined,
  wireguardDns: undefined,
  shareRoots: undefined,
  smbConfig: undefined,
  nfsExportsDir: "/etc/exports.d",
  velocitySizeMib: defaultVelocityConfig.sizeMiB,
  velocitySeconds: defaultVelocityConfig.seconds,
  velocityHistory: defaultVelocityConfig.historyKeep,
  historyMaxSeries: DEFAULT_HISTORY_MAX_SERIES,
  historyMaxBytes: DEFAULT_HISTORY_MAX_BYTES,
  metricsIntervalSeconds: DEFAULT_METRICS_INTERVAL_MS / 1000,
  tuning: defaultNeuralConfig.tuning ? "on" : "off",
  tuningExplorePercent: defaultNeuralConfig.explorePercent,
  tuningLevels: defaultNeuralConfig.levels,
  metricsListen: undefined,
  metricsListenRemote: false,
  metricsTextfile: defaultPrismConfig.textfile,
  metricsTextfileIntervalSeconds: defaultPrismConfig.textfileIntervalMs / 1000,
  incidentGroupWaitSeconds: defaultNexusConfig.groupWaitMs / 1000,
  incidentGroupIntervalSeconds: defaultNexusConfig.groupIntervalMs / 1000,
  incidentResolveTimeoutSeconds: defaultNexusConfig.resolveTimeoutMs / 1000,
  incidentWindowSeconds: defaultNexusConfig.windowMs / 1000,
  incidentsKept: defaultNexusConfig.kept,
  incidentMaxAlerts: defaultNexusConfig.maxAlerts,
  forecastAlertDays: defaultAxiomConfig.alertHorizonDays,
  forecastCheckIntervalHours: defaultAxiomConfig.checkIntervalMs / 3_600_000,
  forecastWindowDays: defaultAxiomConfig.windowDays,
  fluxMaxRules: defaultFluxConfig.maxRules,
  fluxRingSize: defaultFluxConfig.ringSize,
  fluxMetricIntervalSeconds: defaultFluxConfig.metricIntervalMs / 1000,
  fluxLoopMaxFirings: defaultFluxConfig.loopMaxFirings,
  fluxLoopWindowSeconds: defaultFluxConfig.loopWindowMs / 1000,
  scribeSchedule: defaultScribeConfig.schedule ?? NO_SCHEDULE,
  scribeKeep: defaultScribeConfig.keep,
  scribeMaxBytes: defaultScribeConfig.maxBytes,
  updateCheckIntervalHours: defaultVanguardConfig.intervalMs / 3_600_000,
  updateCheckRefresh: defaultVanguardConfig.refresh,
  vanguardAptConfig: undefined,
  vanguardRebootRequired: "/run/reboot-required",
  apexConcurrency: defaultApexConfig.concurrency,
  apexTaskTimeoutSeconds: defaultApexConfig.taskTimeoutMs / 1000,
  apexPlansKept: defaultApexConfig.plansKept,
  apexMaxTasks: defaultApexConfig.maxTasks,
  apexMaxRunningPlans: defaultApexConfig.maxRunningPlans,
  linguaListTtlSeconds: defaultLinguaConfig.listTtlMs / 1000,
  linguaLlmUrl: undefined
}

// ---- how each setting is written in the file --------------------------------

/** Decodes a value as written in the file (quotes already removed) and encodes it back. */
type TextCodec<T> = Schema.Codec<T, string>

const wholeNumberText = (min: number, max: number): TextCodec<number> =>
  Schema.String.check(rule((text: string) =>
    !/^[0-9]+$/.test(text)
      ? `${shown(text)} is not a whole number; expected ${wholeNumberExpected(min, max)}`
      : Number(text) < min || Number(text) > max
      ? `${shown(text)} is out of range; expected ${wholeNumberExpected(min, max)}`
      : undefined
  )).pipe(Schema.decodeTo(WholeNumber(min, max), SchemaTransformation.numberFromString))

const socketModeText: TextCodec<number> = Schema.String.check(rule((text: string) =>
  /^0?[0-7]{3}$/.test(text) ? undefined : `${shown(text)} is not an octal mode; expected ${MODE_EXPECTED}`
)).pipe(Schema.decodeTo(
  SocketMode,
  SchemaTransformation.transform({ decode: (text: string) => Number.parseInt(text, 8), encode: octal })
))

const logLevelText: TextCodec<LogLevel> = Schema.String.check(rule((text: string) =>
  LOG_LEVELS.some((level) => level === text.toLowerCase())
    ? undefined
    : `${shown(text)} is not a log level; expected ${LOG_LEVEL_EXPECTED}`
)).pipe(
  Schema.decodeTo(Schema.String, SchemaTransformation.toLowerCase()),
  Schema.decodeTo(LogLevel, SchemaTransformation.passthroughSupertype())
)

const onOffText: TextCodec<"on" | "off"> = Schema.String.check(rule((text: string) =>
  text === "on" || text === "off" ? undefined : `${shown(text)} is neither on nor off; expected ${ON_OFF_EXPECTED}`
)).pipe(Schema.decodeTo(OnOff, SchemaTransformation.passthroughSupertype()))

const groupText: TextCodec<string | number> = Schema.String.check(rule((text: string) =>
  /^[0-9]+$/.test(text) || GROUP_NAME.test(text)
    ? undefined
    : `${shown(text)} is not a group name or gid; expected ${GROUP_EXPECTED}`
)).pipe(Schema.decodeTo(
  Group,
  SchemaTransformation.transform({
    decode: (text: string): string | number => /^[0-9]+$/.test(text) ? Number(text) : text,
    encode: (group: string | number) => String(group)
  })
))

const unitListText: TextCodec<ReadonlyArray<string>> = Schema.String.check(rule((text: string) => {
  const units = text.split(/[\s,]+/).filter((unit) => unit !== "")
  if (units.length === 0) return `expected ${UNITS_EXPECTED}`
  const bad = units.find((unit) => !UNIT_NAME.test(unit))
  return bad === undefined ? undefined : `${shown(bad)} is not a systemd unit name; expected ${UNITS_EXPECTED}`
})).pipe(Schema.decodeTo(
  Schema.Array(UnitName),
  SchemaTransformation.transform({
    decode: (text: string): ReadonlyArray<string> => text.split(/[\s,]+/).filter((unit) => unit !== ""),
    encode: (units: ReadonlyArray<string>) => units.join(",")
  })
))

const listOf = <T>(item: TextCodec<T>, itemSchema: Schema.Codec<T>, expected: string): TextCodec<ReadonlyArray<T>> => {
  const decodeItem = Schema.decodeResult(item)
  const items = (text: string) => text.split(",").map((part) => part.trim()).filter((part) => part !== "")
  return Schema.String.check(rule((text: string) => {
    const parts = items(text)
    if (parts.length === 0) return `expected ${expected}`
    for (const part of parts) {
      const decoded = decodeItem(part)
      if (Result.isFailure(decoded)) return decoded.failure.message.split("\n")[0]!
    }
    return undefined
  })).pipe(Schema.decodeTo(
    Schema.Array(itemSchema),
    SchemaTransformation.transform({
      decode: (text: string): ReadonlyArray<T> => items(text).map((part) => Result.getOrThrow(decodeItem(part))),
      encode: (values: ReadonlyArray<T>) => values.map((value) => Schema.encodeSync(item, { disableChecks: true })(value)).join(",")
    })
  ))
}

const groupListText = listOf(groupText, Group, GROUPS_EXPECTED)
const pathListText = listOf(AbsolutePath, AbsolutePath, PATHS_EXPECTED)
const PORTS_EXPECTED = "port numbers 1…65535 separated by commas, e.g. 22,445,2049"
const portListText = listOf(wholeNumberText(1, 65_535), WholeNumber(1, 65_535), PORTS_EXPECTED)

/** Whole numbers separated by commas, as written; undefined when the text is not that. */
const numbersIn = (text: string, syntax: RegExp): ReadonlyArray<number> | undefined => {
  const parts = text.split(",").map((part) => part.trim())
  return parts.every((part) => syntax.test(part)) ? parts.map(Number) : undefined
}

const capacityText: TextCodec<CapacityPercent> = Schema.String.check(rule((text: string) => {
  const numbers = numbersIn(text, /^[0-9]+$/)
  if (numbers === undefined || numbers.length !== 3) return `${shown(text)} is not three whole numbers separated by commas; expected ${CAPACITY_EXPECTED}`
  return capacityProblem({ warn: numbers[0]!, high: numbers[1]!, critical: numbers[2]! })
})).pipe(Schema.decodeTo(
  CapacityPercent,
  SchemaTransformation.transform({
    decode: (text: string): CapacityPercent => {
      const [warn, high, critical] = numbersIn(text, /^[0-9]+$/)!
      return { warn: warn!, high: high!, critical: critical! }
    },
    encode: ({ critical, high, warn }: CapacityPercent) => `${warn},${high},${critical}`
  })
))

const alertLevelsText = (scale: AlertScale): TextCodec<AlertLevels> =>
  Schema.String.check(rule((text: string) => {
    const numbers = numbersIn(text, scale.syntax)
    if (numbers === undefined || numbers.length !== 2) return `${shown(text)} is not two numbers separated by a comma; expected ${alertExpected(scale)}`
    return alertProblem(scale)({ raiseAt: numbers[0]!, clearAt: numbers[1]! })
  })).pipe(Schema.decodeTo(
    AlertLevels(scale),
    SchemaTransformation.transform({
      decode: (text: string): AlertLevels => {
        const [raiseAt, clearAt] = numbersIn(text, scale.syntax)!
        return { raiseAt: raiseAt!, clearAt: clearAt! }
      },
      encode: ({ clearAt, raiseAt }: AlertLevels) => `${scale.format(raiseAt)},${scale.format(clearAt)}`
    })
  ))

const scheduleJobText: TextCodec<ScheduleJob> = Schema.String.pipe(Schema.decodeTo(
  ScheduleJob,
  SchemaTransformation.transformEffect({
    decode: (text: string) =>
      Effect.mapError(Effect.fromResult(scheduleJobOf(text)), (reason) => new SchemaIssue.InvalidValue({ message: reason })),
    encode: ({ cron, message: { type, ...fields }, target }: ScheduleJob) =>
      Effect.succeed([cron, target, type, ...Object.entries(fields).map(([name, value]) => `${name}=${value}`)].join(" "))
  })
))

/** What one line of the file holds for a setting: its whole value, or one schedule's job for `schedules`. */
export type LineValue<F extends Field> = F extends "schedules" ? ScheduleJob : NonNullable<Config[F]>

interface KeySpec<F extends Field> {
  /** The key in the configuration file; for `schedules`, the prefix of one key per schedule. */
  readonly key: string
  readonly text: TextCodec<LineValue<F>>
  /** What a valid value looks like, for messages. */
  readonly expected: string
}

/** Every setting's key in the file, its text codec and what it expects; in the order of the docs. */
const wholeNumber = (key: string, minimum: number, maximum: number) => ({
  key,
  text: wholeNumberText(minimum, maximum),
  expected: wholeNumberExpected(minimum, maximum)
})

export const KEYS: { readonly [F in Field]: KeySpec<F> } = {
  socket: { key: "socket", text: SocketPath, expected: ABSOLUTE_PATH },
  socketGroup: { key: "socket_group", text: groupText, expected: GROUP_EXPECTED },
  socketMode: { key: "socket_mode", text: socketModeText, expected: MODE_EXPECTED },
  stateDir: { key: "state_dir", text: AbsolutePath, expected: ABSOLUTE_PATH },
  runtimeDir: { key: "runtime_dir", text: AbsolutePath, expected: ABSOLUTE_PATH },
  logLevel: { key: "log_level", text: logLevelText, expected: LOG_LEVEL_EXPECTED },
  shutdownDeadlineMs: wholeNumber("shutdown_deadline_ms", 0, 600_000),
  maxFrameBytes: wholeNumber("max_frame_bytes", 1024, 67_108_864),
  maxConnections: wholeNumber("max_connections", 1, 65_536),
  clientBufferEvents: wholeNumber("client_buffer_events", 16, 1_000_000),
  askTimeoutMs: wholeNumber("ask_timeout_ms", 1, 3_600_000),
  mailboxCapacity: wholeNumber("mailbox_capacity", 1, 1_000_000),
  watchServices: { key: "watch_services", text: unitListText, expected: UNITS_EXPECTED },
  watchServicesIntervalSeconds: wholeNumber("watch_services_interval_seconds", 5, 3600),
  timeZone: { key: "time_zone", text: TimeZone, expected: TIME_ZONE_EXPECTED },
  schedules: { key: `${SCHEDULE_KEY_PREFIX}NAME`, text: scheduleJobText, expected: SCHEDULE_EXPECTED },
  poolCheckIntervalSeconds: wholeNumber("pool_check_interval_seconds", 10, 86_400),
  poolCapacityPercent: { key: "pool_capacity_percent", text: capacityText, expected: CAPACITY_EXPECTED },
  scrubSchedule: { key: "scrub_schedule", text: ScrubSchedule, expected: SCRUB_EXPECTED },
  snapshotSchedule: { key: "snapshot_schedule", text: SnapshotSchedule, expected: SNAPSHOT_EXPECTED },
  smartCheckIntervalHours: wholeNumber("smart_check_interval_hours", 1, 720),
  resourceCheckIntervalSeconds: wholeNumber("resource_check_interval_seconds", 1, 3600),
  cpuAlertPercent: { key: "cpu_alert_percent", text: alertLevelsText(percentScale), expected: alertExpected(percentScale) },
  memoryAlertPercent: { key: "memory_alert_percent", text: alertLevelsText(percentScale), expected: alertExpected(percentScale) },
  diskBusyAlertPercent: { key: "disk_busy_alert_percent", text: alertLevelsText(percentScale), expected: alertExpected(percentScale) },
  loadAlertPerCpu: { key: "load_alert_per_cpu", text: alertLevelsText(loadScale), expected: alertExpected(loadScale) },
  resourceAlertSamples: wholeNumber("resource_alert_samples", 1, 100),
  linkSampleIntervalSeconds: wholeNumber("link_sample_interval_seconds", 1, 3600),
  linkErrorBurst: wholeNumber("link_error_burst", 1, 1_000_000_000),
  linkFlapChanges: wholeNumber("link_flap_changes", 2, 10_000),
  linkFlapWindowSeconds: wholeNumber("link_flap_window_seconds", 10, 86_400),
  roleRead: { key: "role_read", text: groupListText, expected: GROUPS_EXPECTED },
  roleOperate: { key: "role_operate", text: groupListText, expected: GROUPS_EXPECTED },
  roleAdmin: { key: "role_admin", text: groupListText, expected: GROUPS_EXPECTED },
  fileRoots: { key: "file_roots", text: pathListText, expected: PATHS_EXPECTED },
  fileJobMaxBytes: wholeNumber("file_job_max_bytes", 1, Number.MAX_SAFE_INTEGER),
  clientIdleTimeoutSeconds: wholeNumber("client_idle_timeout_seconds", 1, 86_400),
  auditIntervalHours: wholeNumber("audit_interval_hours", 0, 720),
  auditSshdConfig: { key: "audit_sshd_config", text: AbsolutePath, expected: ABSOLUTE_PATH },
  auditSmbConfig: { key: "audit_smb_config", text: AbsolutePath, expected: ABSOLUTE_PATH },
  auditNfsExports: { key: "audit_nfs_exports", text: AbsolutePath, expected: ABSOLUTE_PATH },
  auditNfsExportsDir: { key: "audit_nfs_exports_dir", text: AbsolutePath, expected: ABSOLUTE_PATH },
  auditAllowedPorts: { key: "audit_allowed_ports", text: portListText, expected: PORTS_EXPECTED },
  wireguardInterface: { key: "wireguard_interface", text: WireguardInterface, expected: WG_INTERFACE_EXPECTED },
  wireguardListenPort: wholeNumber("wireguard_listen_port", 1, 65_535),
  wireguardSubnet: { key: "wireguard_subnet", text: WireguardSubnet, expected: WG_SUBNET_EXPECTED },
  wireguardEndpoint: { key: "wireguard_endpoint", text: WireguardEndpoint, expected: WG_ENDPOINT_EXPECTED },
  wireguardDns: { key: "wireguard_dns", text: listOf(DnsServer, DnsServer, WG_DNS_EXPECTED), expected: WG_DNS_EXPECTED },
  shareRoots: { key: "share_roots", text: pathListText, expected: PATHS_EXPECTED },
  smbConfig: { key: "smb_config", text: AbsolutePath, expected: ABSOLUTE_PATH },
  nfsExportsDir: { key: "nfs_exports_dir", text: AbsolutePath, expected: ABSOLUTE_PATH },
  velocitySizeMib: wholeNumber("velocity_size_mib", 1, 16_384),
  velocitySeconds: wholeNumber("velocity_seconds", 1, 60),
  velocityHistory: wholeNumber("velocity_history", 1, 10_000),
  historyMaxSeries: wholeNumber("history_max_series", 1, 1_000_000),
  historyMaxBytes: wholeNumber("history_max_bytes", 1_048_576, 68_719_476_736),
  metricsIntervalSeconds: wholeNumber("metrics_interval_seconds", 10, 3600),
  tuning: { key: "tuning", text: onOffText, expected: ON_OFF_EXPECTED },
  tuningExplorePercent: wholeNumber("tuning_explore_percent", 0, 20),
  tuningLevels: { key: "tuning_levels", text: listOf(wholeNumberText(1, 19), WholeNumber(1, 19), ZSTD_LEVELS_EXPECTED), expected: ZSTD_LEVELS_EXPECTED },
  metricsListen: { key: "metrics_listen", text: MetricsListen, expected: LISTEN_EXPECTED },
  metricsListenRemote: { key: "metrics_listen_remote", text: booleanText, expected: BOOLEAN_EXPECTED },
  metricsTextfile: { key: "metrics_textfile", text: TextfilePath, expected: TEXTFILE_EXPECTED },
  metricsTextfileIntervalSeconds: wholeNumber("metrics_textfile_interval_seconds", 10, 86_400),
  incidentGroupWaitSeconds: wholeNumber("incident_group_wait_seconds", 0, 3600),
  incidentGroupIntervalSeconds: wholeNumber("incident_group_interval_seconds", 10, 86_400),
  incidentResolveTimeoutSeconds: wholeNumber("incident_resolve_timeout_seconds", 0, 7_776_000),
  incidentWindowSeconds: wholeNumber("incident_window_seconds", 60, 604_800),
  incidentsKept: wholeNumber("incidents_kept", 10, 100_000),
  incidentMaxAlerts: wholeNumber("incident_max_alerts", 10, 100_000),
  forecastAlertDays: wholeNumber("forecast_alert_days", 0, 366),
  forecastCheckIntervalHours: wholeNumber("forecast_check_interval_hours", 1, 168),
  forecastWindowDays: wholeNumber("forecast_window_days", 1, 366),
  fluxMaxRules: wholeNumber("flux_max_rules", 1, 10_000),
  fluxRingSize: wholeNumber("flux_ring_size", 10, 100_000),
  fluxMetricIntervalSeconds: wholeNumber("flux_metric_interval_seconds", 10, 3600),
  fluxLoopMaxFirings: wholeNumber("flux_loop_max_firings", 1, 10_000),
  fluxLoopWindowSeconds: wholeNumber("flux_loop_window_seconds", 10, 86_400),
  scribeSchedule: { key: "scribe_schedule", text: ReportSchedule, expected: REPORT_SCHEDULE_EXPECTED },
  scribeKeep: wholeNumber("scribe_keep", 1, 100_000),
  scribeMaxBytes: wholeNumber("scribe_max_bytes", 1_048_576, 68_719_476_736),
  updateCheckIntervalHours: wholeNumber("update_check_interval_hours", 0, 720),
  updateCheckRefresh: { key: "update_check_refresh", text: booleanText, expected: BOOLEAN_EXPECTED },
  vanguardAptConfig: { key: "vanguard_apt_config", text: AbsolutePath, expected: ABSOLUTE_PATH },
  vanguardRebootRequired: { key: "vanguard_reboot_required", text: AbsolutePath, expected: ABSOLUTE_PATH },
  apexConcurrency: wholeNumber("apex_concurrency", 1, 256),
  apexTaskTimeoutSeconds: wholeNumber("apex_task_timeout_seconds", 1, 86_400),
  apexPlansKept: wholeNumber("apex_plans_kept", 1, 10_000),
  apexMaxTasks: wholeNumber("apex_max_tasks", 1, 100_000),
  apexMaxRunningPlans: wholeNumber("apex_max_running_plans", 1, 1000),
  linguaListTtlSeconds: wholeNumber("lingua_list_ttl_seconds", 1, 3600),
  linguaLlmUrl: { key: "lingua_llm_url", text: LlmUrl, expected: LLM_URL_EXPECTED }
}

export const FIELDS = Object.keys(KEYS) as ReadonlyArray<Field>

const FIELD_OF_KEY: ReadonlyMap<string, Field> = new Map(FIELDS.map((field) => [KEYS[field].key, field]))

/** The setting a file key names, if any: `schedule.NAME` names `schedules`, whatever NAME is. */
export const fieldOfKey = (key: string): Field | undefined =>
  key.startsWith(SCHEDULE_KEY_PREFIX) ? "schedules" : FIELD_OF_KEY.get(key)

/** The reason of a schema failure, one line (the first issue's message, without its path). */
const reasonOf = (error: Schema.SchemaError): string => error.message.split("\n")[0]!

/**
 * Decodes one setting as written in the file, e.g. `("socketMode", "0660")` →
 * 0o660 (for `schedules`, one schedule's line without its name); also for
 * flags given as text. The failure is the reason, e.g.
 * `'abc' is not a whole number; expected a whole number from 0 to 600000`.
 */
export const decodeSetting = <F extends Field>(field: F, text: string): Result.Result<LineValue<F>, string> =>
  Result.mapError(Schema.decodeResult(KEYS[field].text)(text), reasonOf)

/**
 * A setting's value as it would be written in the file (unquoted), e.g. 0o660
 * → "0660". Formatting only: the value's rules are not checked here.
 */
export const encodeSetting = <F extends Field>(field: F, value: LineValue<F>): string =>
  Schema.encodeSync(KEYS[field].text, { disableChecks: true })(value)

/** Checks a typed value against its setting's rules (for values that did not come from text). */
export const validateSetting = <F extends Field>(field: F, value: Config[F]): Result.Result<Config[F], string> =>
  Schema.decodeUnknownResult(Config.fields[field])(value).pipe(Result.map(() => value), Result.mapError(reasonOf))
