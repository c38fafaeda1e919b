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
import { Result, Schema, SchemaTransformation } from "effect"

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
const UnitName = Schema.String.check(rule((text: string) =>
  UNIT_NAME.test(text) ? undefined : `${shown(text)} is not a systemd unit name; expected ${UNITS_EXPECTED}`
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
  /** How long a graceful stop may drain mailboxes. */
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
  watchServices: Schema.UndefinedOr(Schema.Array(UnitName))
})
type ConfigType = typeof Config.Type
export interface Config extends ConfigType {}

export type Field = keyof Config

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
  watchServices: undefined
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

interface KeySpec<F extends Field> {
  /** The key in the configuration file. */
  readonly key: string
  readonly text: TextCodec<NonNullable<Config[F]>>
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
  watchServices: { key: "watch_services", text: unitListText, expected: UNITS_EXPECTED }
}

export const FIELDS = Object.keys(KEYS) as ReadonlyArray<Field>

const FIELD_OF_KEY: ReadonlyMap<string, Field> = new Map(FIELDS.map((field) => [KEYS[field].key, field]))

/** The setting a file key names, if any. */
export const fieldOfKey = (key: string): Field | undefined => FIELD_OF_KEY.get(key)

/** The reason of a schema failure, one line (the first issue's message, without its path). */
const reasonOf = (error: Schema.SchemaError): string => error.message.split("\n")[0]!

/**
 * Decodes one setting as written in the file, e.g. `("socketMode", "0660")` →
 * 0o660; also for flags given as text. The failure is the reason, e.g.
 * `'abc' is not a whole number; expected a whole number from 0 to 600000`.
 */
export const decodeSetting = <F extends Field>(field: F, text: string): Result.Result<NonNullable<Config[F]>, string> =>
  Result.mapError(Schema.decodeResult(KEYS[field].text)(text), reasonOf)

/**
 * A setting's value as it would be written in the file (unquoted), e.g. 0o660
 * → "0660". Formatting only: the value's rules are not checked here.
 */
export const encodeSetting = <F extends Field>(field: F, value: NonNullable<Config[F]>): string =>
  Schema.encodeSync(KEYS[field].text, { disableChecks: true })(value)

/** Checks a typed value against its setting's rules (for values that did not come from text). */
export const validateSetting = <F extends Field>(field: F, value: Config[F]): Result.Result<Config[F], string> =>
  Schema.decodeUnknownResult(Config.fields[field])(value).pipe(Result.map(() => value), Result.mapError(reasonOf))
