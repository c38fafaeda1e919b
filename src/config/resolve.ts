/**
 * Where each setting comes from. In increasing precedence: the defaults, the
 * configuration file, the environment systemd sets (`STATE_DIRECTORY`,
 * `RUNTIME_DIRECTORY`), then command-line flags. Each resolved setting says
 * which layer it came from, for `--print-config`-style output.
 */
import { Result } from "effect"
import {
  type Config,
  ConfigError,
  decodeSetting,
  defaults,
  encodeSetting,
  type Field,
  FIELDS,
  KEYS,
  type LineValue,
  SCHEDULE_KEY_PREFIX,
  validateSetting
} from "./Config.ts"
import { formatValue } from "./parse.ts"

export type Source = "default" | "file" | "env" | "flag"

export interface Setting<A> {
  readonly value: A
  readonly source: Source
}

export type Settings = { readonly [F in Field]: Setting<Config[F]> }

export interface Layers {
  /** From `loadConfig`. */
  readonly file?: Partial<Config> | undefined
  /** The process environment (only `STATE_DIRECTORY` and `RUNTIME_DIRECTORY` are read). */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
  /** From the command line. */
  readonly flags?: Partial<Config> | undefined
}

type MutablePartial = { -readonly [F in Field]?: Config[F] }

/**
 * systemd's directory variables: several colon-separated paths when a unit
 * lists several; the first is ours. An empty variable counts as unset.
 */
const directoryFromEnv = (
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  field: "stateDir" | "runtimeDir"
): Result.Result<string | undefined, ConfigError> => {
  const raw = env[name]
  if (raw === undefined || raw === "") return Result.succeed(undefined)
  return Result.mapError(
    decodeSetting(field, raw.split(":")[0]!),
    (reason) => new ConfigError({ file: "environment", line: undefined, key: name, reason })
  )
}

const fromEnvironment = (
  env: Readonly<Record<string, string | undefined>>,
  file: Partial<Config>
): Result.Result<Partial<Config>, ConfigError> =>
  Result.gen(function*() {
    const stateDir = yield* directoryFromEnv(env, "STATE_DIRECTORY", "stateDir")
    const runtimeDir = yield* directoryFromEnv(env, "RUNTIME_DIRECTORY", "runtimeDir")
    const layer: MutablePartial = {}
    if (stateDir !== undefined) layer.stateDir = stateDir
    if (runtimeDir !== undefined) {
      layer.runtimeDir = runtimeDir
      // systemd created this directory for us: the socket belongs there unless the file says otherwise.
      if (file.socket === undefined) {
        layer.socket = yield* Result.mapError(
          decodeSetting("socket", `${runtimeDir.replace(/\/+$/, "")}/control.sock`),
          (reason) => new ConfigError({ file: "environment", line: undefined, key: "RUNTIME_DIRECTORY", reason })
        )
      }
    }
    return layer
  })

const checkFlags = (flags: Partial<Config>): Result.Result<Partial<Config>, ConfigError> => {
  for (const field of FIELDS) {
    const value = flags[field]
    if (value === undefined) continue
    const checked = validateSetting(field, value)
    if (Result.isFailure(checked)) {
      return Result.fail(
        new ConfigError({ file: "command line", line: undefined, key: KEYS[field].key, reason: checked.failure })
      )
    }
  }
  return Result.succeed(flags)
}

const pick = <F extends Field>(
  field: F,
  file: Partial<Config>,
  env: Partial<Config>,
  flags: Partial<Config>
): Setting<Config[F]> => {
  const flag = flags[field]
  if (flag !== undefined) return { value: flag, source: "flag" }
  const fromEnv = env[field]
  if (fromEnv !== undefined) return { value: fromEnv, source: "env" }
  const fromFile = file[field]
  if (fromFile !== undefined) return { value: fromFile, source: "file" }
  return { value: defaults[field], source: "default" }
}

/**
 * Merges the layers, highest precedence last: defaults < file < environment <
 * flags. When `RUNTIME_DIRECTORY` is set and the file names no socket, the
 * socket defaults to `$RUNTIME_DIRECTORY/control.sock`. A bad environment
 * value or flag is an error, never ignored.
 */
export const resolveSettings = (layers: Layers): Result.Result<Settings, ConfigError> =>
  Result.gen(function*() {
    const file = layers.file ?? {}
    const env = yield* fromEnvironment(layers.env ?? {}, file)
    const flags = yield* checkFlags(layers.flags ?? {})
    const settings: Partial<Record<Field, Setting<unknown>>> = {}
    for (const field of FIELDS) settings[field] = pick(field, file, env, flags)
    return settings as Settings
  })

/** The values alone. */
export const configOf = (settings: Settings): Config => {
  const config: Partial<Record<Field, unknown>> = {}
  for (const field of FIELDS) config[field] = settings[field].value
  return config as Config
}

/** The setting's line, or for `schedules` one line per schedule. */
const settingLines = <F extends Field>(field: F, setting: Setting<Config[F]>): ReadonlyArray<string> => {
  const value = setting.value
  if (value === undefined) return [`# ${KEYS[field].key} is not set`]
  if (field === "schedules") {
    return (value as NonNullable<Config["schedules"]>).map(({ name, ...job }) =>
      `${SCHEDULE_KEY_PREFIX}${name} = ${formatValue(encodeSetting("schedules", job))}`
    )
  }
  return [`${KEYS[field].key} = ${formatValue(encodeSetting(field, value as LineValue<F>))}`]
}

/**
 * The settings as a configuration file, each line followed by its source:
 * `socket_mode = 0660   # file`. The text parses back to the same values.
 */
export const formatSettings = (settings: Settings): string => {
  const lines = FIELDS.flatMap((field) => settingLines(field, settings[field]).map((text) => ({ text, source: settings[field].source })))
  const width = Math.max(...lines.map((line) => line.text.length)) + 2
  return lines.map((line) => `${line.text.padEnd(width)}# ${line.source}`).join("\n") + "\n"
}
