/**
 * Logging for journald: one line per entry on stderr. Under systemd
 * ($JOURNAL_STREAM names our stderr) each line starts with its syslog
 * priority, `<3>` for an error, which journald strips and records as the
 * entry's priority (sd-daemon(3)); elsewhere it starts with the level name.
 * Annotations follow the message as `key=value` fields. An error or warning
 * that repeats word for word within the window is written once; the repeats
 * are summed up in one "repeated N times" line when the window has passed.
 */
import { fstatSync } from "node:fs"
import { Cause, Effect, Layer, Logger, type LogLevel, Option, References } from "effect"

export const PRIORITY: Readonly<Record<LogLevel.LogLevel, number>> = {
  All: 7,
  Fatal: 2,
  Error: 3,
  Warn: 4,
  Info: 6,
  Debug: 7,
  Trace: 7,
  None: 7
}

export interface Entry {
  readonly level: LogLevel.LogLevel
  readonly message: string
  readonly annotations: Readonly<Record<string, unknown>>
}

/** A line must stay one line: newlines inside a message or value are written as `\n`. */
const oneLine = (text: string): string => text.replace(/\r?\n/g, "\\n")

const textOf = (value: unknown): string => {
  if (typeof value === "string") return value
  if (value instanceof Error) return value.message
  if (typeof value === "bigint" || typeof value === "number" || typeof value === "boolean" || value === undefined) return String(value)
  const json = Effect.runSync(Effect.option(Effect.try(() => JSON.stringify(value))))
  return Option.getOrElse(json, () => String(value)) ?? String(value)
}

/** Quoted when it holds a space, a quote, '=' or a backslash, or is empty. */
export const fieldValue = (value: unknown): string => {
  const text = oneLine(textOf(value))
  return text === "" || /[\s"=\\]/.test(text) ? `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"` : text
}

const fieldKey = (key: string): string => key.replace(/[^A-Za-z0-9_.-]/g, "_") || "_"

export const formatEntry = (entry: Entry, journal: boolean): string => {
  const fields = Object.entries(entry.annotations).map(([key, value]) => `${fieldKey(key)}=${fieldValue(value)}`)
  const head = journal ? `<${PRIORITY[entry.level]}>` : `${entry.level.toUpperCase()} `
  return [`${head}${oneLine(entry.message)}`, ...fields].join(" ")
}

export interface LoggingOptions {
  /** Write `<N>` priority prefixes for journald. */
  readonly journal: boolean
  /** Receives each finished line, without the newline. */
  readonly write: (line: string) => void
  /** Repeats of the same error or warning within this window are counted, not written. */
  readonly repeatWindowMs?: number
}

interface Repeat {
  readonly entry: Entry
  readonly firstAt: number
  count: number
}

const limited = (level: LogLevel.LogLevel) => level === "Error" || level === "Warn" || level === "Fatal"

/** The logic of the logger, with the time of each entry given: the tests drive it directly. */
export const makeWriter = (options: LoggingOptions) => {
  const windowMs = options.repeatWindowMs ?? 60_000
  const repeats = new Map<string, Repeat>()
  const summary = (repeat: Repeat) =>
    options.write(formatEntry({
      ...repeat.entry,
      message: `${repeat.entry.message} (repeated ${repeat.count} ${repeat.count === 1 ? "time" : "times"} in ${Math.round(windowMs / 1000)} s)`
    }, options.journal))
  /** Writes the summaries of windows that have passed. */
  const sweep = (now: number) => {
    for (const [key, repeat] of repeats) {
      if (now - repeat.firstAt < windowMs) continue
      repeats.delete(key)
      if (repeat.count > 0) summary(repeat)
    }
  }
  return {
    log: (entry: Entry, now: number) => {
      sweep(now)
      if (limited(entry.level)) {
        const key = `${entry.level}\u0000${entry.message}`
        const repeat = repeats.get(key)
        if (repeat !== undefined) {
          repeat.count++
          return
        }
        repeats.set(key, { entry, firstAt: now, count: 0 })
      }
      options.write(formatEntry(entry, options.journal))
    },
    /** Writes every pending summary now (at shutdown). */
    flush: () => {
      for (const repeat of repeats.values()) if (repeat.count > 0) summary(repeat)
      repeats.clear()
    }
  }
}

const messageOf = (message: unknown, cause: Cause.Cause<unknown>): string => {
  const parts = (Array.isArray(message) ? message : [message]).map(textOf)
  if (cause.reasons.length > 0) parts.push(`cause: ${Cause.pretty(cause).split("\n")[0]}`)
  return parts.join(" ")
}

export const make = (options: LoggingOptions): Logger.Logger<unknown, void> => {
  const writer = makeWriter(options)
  return Logger.make(({ cause, date, fiber, logLevel, message }) =>
    writer.log(
      { level: logLevel, message: messageOf(message, cause), annotations: fiber.getRef(References.CurrentLogAnnotations) },
      date.getTime()
    )
  )
}

/**
 * Whether stderr is the journal: $JOURNAL_STREAM is `<device>:<inode>` of
 * the stream systemd connected, and counts only if stderr is still that
 * stream (a child whose stderr was redirected inherits the variable).
 */
export const isJournalStream = (
  journalStream: string | undefined,
  stderr: { readonly dev: number; readonly ino: number } | undefined
): boolean => {
  const match = /^(\d+):(\d+)$/.exec(journalStream?.trim() ?? "")
  if (match === null) return false
  return stderr === undefined || (String(stderr.dev) === match[1] && String(stderr.ino) === match[2])
}

/** Replaces the default logger with the stderr/journald one. */
export const loggerLayer = (
  env: { readonly JOURNAL_STREAM?: string | undefined },
  options: { readonly repeatWindowMs?: number; readonly write?: (line: string) => void } = {}
): Layer.Layer<never> =>
  Layer.unwrap(Effect.gen(function*() {
    const stderr = yield* Effect.option(Effect.try(() => fstatSync(2)))
    const journal = isJournalStream(env.JOURNAL_STREAM, Option.getOrUndefined(stderr))
    return Logger.layer([
      make({
        journal,
        write: options.write ?? ((line) => process.stderr.write(`${line}\n`)),
        ...(options.repeatWindowMs === undefined ? {} : { repeatWindowMs: options.repeatWindowMs })
      })
    ])
  }))
