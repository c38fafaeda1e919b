/**
 * A systemd timer and its service that tell an agent a message: a pure
 * function of the spec and of the calendar expression in the normalized form
 * systemd's own parser gave (`systemd-analyze calendar`), so the unit holds
 * exactly what systemd will read.
 *
 * The message travels as one ExecStart= argument: double-quoted, with '\' and
 * '"' escaped as systemd unquotes them, '%' doubled (systemd.unit(5)
 * specifiers: %n, %H… are expanded in ExecStart=) and '$' doubled
 * (systemd.service(5): $VAR and ${VAR} are expanded).
 */
import { Result } from "effect"
import { InvalidSpec, type Rendered } from "./messages.ts"

/** Where the daemon's binary is installed by the Debian package (packaging/systemd/sigmavault.service). */
export const SIGMAVAULT_BINARY = "/usr/bin/sigmavault"

/** Linux refuses to exec an argument longer than this (MAX_ARG_STRLEN: 32 pages), with E2BIG. */
const MAX_ARG_BYTES = 131072

export interface TimerSpec {
  readonly name: string
  readonly onCalendar: string
  readonly agent: string
  readonly message: { readonly type: string; readonly [key: string]: unknown }
}

export const timerUnit = (name: string) => `sigmavault-${name}.timer`
export const serviceUnit = (name: string) => `sigmavault-${name}.service`

const refuse = (field: string, reason: string) => Result.fail(new InvalidSpec({ kind: "systemd-timer", field, reason }))

/**
 * What FORGE refuses in a calendar expression before asking systemd: what a
 * unit file cannot hold as written (a control character ends the line or is
 * refused; '%' is a specifier in a timer's values) — the rest is for
 * `systemd-analyze calendar` to judge.
 */
export const calendarProblem = (expression: string): string | undefined => {
  if (/[\u0000-\u001f\u007f]/.test(expression)) return "a control character (newline, tab…) cannot be held in a unit file's value"
  if (expression.includes("%")) return "'%' is a unit-file specifier (systemd.unit(5)) and never part of a calendar expression"
  if (expression.includes("\\")) return "'\\' is never part of a calendar expression (and ends a unit-file line as a continuation)"
  if (expression.length > 256) return "a calendar expression is at most 256 characters here"
  return undefined
}

/** One word of an ExecStart= command line that systemd reads back as exactly `word`. */
export const quoteExecArgument = (word: string): string =>
  `"${word.replace(/\\/g, "\\\\").replace(/"/g, "\\\"").replace(/%/g, "%%").replace(/\$/g, "$$$$")}"`

/** The unit files, given the expression's normalized form as systemd printed it. */
export const renderTimer = (spec: TimerSpec, normalizedCalendar: string): Result.Result<Rendered, InvalidSpec> => {
  const json = JSON.stringify(spec.message)
  if (new TextEncoder().encode(json).length >= MAX_ARG_BYTES) {
    return refuse("message", `the message is one command-line argument, and Linux refuses one of ${MAX_ARG_BYTES} bytes or more`)
  }
  const description = `SigmaVault timer ${spec.name}: tells ${spec.agent}`
  const timer = [
    `# Written by SigmaVault's FORGE from the spec of timer ${spec.name}.`,
    "[Unit]",
    `Description=${description}`,
    "",
    "[Timer]",
    `OnCalendar=${normalizedCalendar}`,
    "Persistent=true",
    `Unit=${serviceUnit(spec.name)}`,
    "",
    "[Install]",
    "WantedBy=timers.target",
    ""
  ].join("\n")
  const service = [
    `# Written by SigmaVault's FORGE from the spec of timer ${spec.name}.`,
    "[Unit]",
    `Description=${description}`,
    "After=sigmavault.service",
    "",
    "[Service]",
    "Type=oneshot",
    `ExecStart=${SIGMAVAULT_BINARY} tell ${spec.agent} ${quoteExecArgument(json)}`,
    ""
  ].join("\n")
  return Result.succeed({
    kind: "systemd-timer",
    files: [{ target: timerUnit(spec.name), text: timer }, { target: serviceUnit(spec.name), text: service }]
  })
}
