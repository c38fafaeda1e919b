/**
 * Command-line parsing for the commands that exist so far. Unknown commands
 * and flags are usage errors that say what was wrong and what to do.
 */
import { LogLevel } from "effect"

export const USAGE = `Usage: sigmavault <command> [options]

Commands:
  run                 start the agent runtime in the foreground (Ctrl-C stops it gracefully)

Options for run:
  --state-dir DIR     where agents keep state (default: $STATE_DIRECTORY or /var/lib/sigmavault)
  --log-level LEVEL   one of: ${["Trace", "Debug", "Info", "Warn", "Error"].join(", ")} (default Info)
  --shutdown-deadline MS
                      how long a graceful stop may drain mailboxes (default 5000)

  -h, --help          show this help
  --version           print the version
`

export type Command =
  | { readonly _tag: "Help" }
  | { readonly _tag: "Version" }
  | {
    readonly _tag: "Run"
    readonly stateDir: string
    readonly logLevel: LogLevel.LogLevel
    readonly shutdownDeadlineMs: number
  }
  | { readonly _tag: "UsageError"; readonly message: string }

const usageError = (message: string): Command => ({ _tag: "UsageError", message })

const LEVELS: ReadonlyArray<LogLevel.LogLevel> = ["Trace", "Debug", "Info", "Warn", "Error"]

export const parse = (argv: ReadonlyArray<string>, env: Readonly<Record<string, string | undefined>>): Command => {
  const [command, ...rest] = argv
  if (command === undefined || command === "-h" || command === "--help" || command === "help") return { _tag: "Help" }
  if (command === "--version" || command === "version") return { _tag: "Version" }
  if (command !== "run") return usageError(`unknown command '${command}'; run 'sigmavault --help' for the list`)

  let stateDir = env.STATE_DIRECTORY?.split(":")[0] || "/var/lib/sigmavault"
  let logLevel: LogLevel.LogLevel = "Info"
  let shutdownDeadlineMs = 5_000
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i]!
    if (flag === "-h" || flag === "--help") return { _tag: "Help" }
    const value = rest[i + 1]
    if (!["--state-dir", "--log-level", "--shutdown-deadline"].includes(flag)) {
      return usageError(`unknown option '${flag}' for run; run 'sigmavault --help'`)
    }
    if (value === undefined || value.startsWith("--")) return usageError(`${flag} needs a value`)
    i++
    if (flag === "--state-dir") {
      stateDir = value
    } else if (flag === "--log-level") {
      const level = LEVELS.find((l) => l.toLowerCase() === value.toLowerCase())
      if (level === undefined) return usageError(`--log-level '${value}' is not one of ${LEVELS.join(", ")}`)
      logLevel = level
    } else {
      const ms = Number(value)
      if (!Number.isInteger(ms) || ms < 0) {
        return usageError(`--shutdown-deadline '${value}' is not a whole number of milliseconds`)
      }
      shutdownDeadlineMs = ms
    }
  }
  return { _tag: "Run", stateDir, logLevel, shutdownDeadlineMs }
}
