/**
 * The daemon's configuration: settings and their rules (Config.ts), the file
 * format (parse.ts), reading the file (load.ts) and layering defaults, file,
 * environment and flags (resolve.ts). docs/configuration.md describes it for
 * administrators.
 */
export {
  Config,
  ConfigError,
  decodeSetting,
  defaults,
  encodeSetting,
  type Field,
  FIELDS,
  isLoopback,
  KEYS,
  LOG_LEVELS,
  LogLevel,
  NO_SCHEDULE,
  parseListen,
  SCHEDULE_KEY_PREFIX,
  validateSetting,
  type ConfiguredSchedule
} from "./Config.ts"
export { DEFAULT_CONFIG_FILE, loadConfig, loadConfigIfExists } from "./load.ts"
export { formatValue, parseConfig, type ParseOptions } from "./parse.ts"
export { configOf, formatSettings, type Layers, resolveSettings, type Setting, type Settings, type Source } from "./resolve.ts"
