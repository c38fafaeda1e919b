/**
 * The configuration file's syntax: one `key = value` per line.
 *
 * - `#` starts a comment: on a line of its own, or after whitespace at the end
 *   of a line (`socket = /run/a#b` keeps the `#`, `socket = /run/a #b` does not).
 * - Blank lines are ignored; whitespace around the key and the `=` is free;
 *   CRLF line ends and a leading UTF-8 byte order mark are accepted.
 * - Keys are lower_snake_case and known; each appears at most once.
 * - A value is a bare word (no whitespace, no `"`), or a double-quoted string
 *   in which `\"` and `\\` are the only escapes.
 *
 * The first problem stops parsing: a daemon never runs on a half-understood
 * configuration. Parsing never throws; every outcome is a `Result`.
 */
import { Result } from "effect"
import {
  type Config,
  ConfigError,
  type ConfiguredSchedule,
  decodeSetting,
  type Field,
  fieldOfKey,
  FIELDS,
  KEYS,
  printable,
  SCHEDULE_KEY_PREFIX,
  scheduleNameProblem
} from "./Config.ts"

const KNOWN_KEYS = FIELDS.map((field) => KEYS[field].key)
const KEY_SYNTAX = /^[a-z][a-z0-9_]*$/

/** A line's content: nothing, or a key and its (unquoted) value; else what is wrong with it. */
type Line =
  | { readonly _tag: "Blank" }
  | { readonly _tag: "Entry"; readonly key: string; readonly value: string }
  | { readonly _tag: "Malformed"; readonly key: string | undefined; readonly reason: string }

const blank: Line = { _tag: "Blank" }
const malformed = (key: string | undefined, reason: string): Line => ({ _tag: "Malformed", key, reason })

/** Where a comment starts: `#` at the start of `text` or after whitespace; -1 when none. */
const commentStart = (text: string): number => {
  const match = /(?:^|\s)#/.exec(text)
  return match === null ? -1 : match.index + match[0].length - 1
}

/** The value after `=`: a quoted string or a bare word, then nothing but an optional comment. */
const lexValue = (key: string, rest: string): Line => {
  const text = rest.trim()
  const missing = () =>
    malformed(key, `missing value after '='; expected ${expectedOf(key)}, or remove the line to use the default`)
  if (text === "" || text.startsWith("#")) return missing()
  if (text.startsWith("\"")) {
    let value = ""
    for (let i = 1; i < text.length; i++) {
      const char = text[i]!
      if (char === "\"") {
        const after = text.slice(i + 1).trim()
        if (after !== "" && !after.startsWith("#")) {
          return malformed(
            key,
            `unexpected text '${printable(after)}' after the closing quote; expected the end of the line or a # comment`
          )
        }
        return { _tag: "Entry", key, value }
      }
      if (char === "\\") {
        const escaped = text[i + 1]
        if (escaped !== "\"" && escaped !== "\\") {
          return malformed(
            key,
            escaped === undefined
              ? "unterminated quoted value; expected a closing \" on the same line"
              : `unknown escape '\\${printable(escaped)}' in a quoted value; only \\" and \\\\ are allowed`
          )
        }
        value += escaped
        i++
        continue
      }
      value += char
    }
    return malformed(key, "unterminated quoted value; expected a closing \" on the same line")
  }
  const comment = commentStart(text)
  const value = (comment === -1 ? text : text.slice(0, comment)).trimEnd()
  if (/\s/.test(value)) {
    return malformed(key, `unquoted value '${printable(value)}' contains whitespace; put the value in double quotes`)
  }
  if (value.includes("\"")) {
    return malformed(
      key,
      `unquoted value '${printable(value)}' contains a '"'; put the whole value in double quotes, writing \\" for a quote`
    )
  }
  return { _tag: "Entry", key, value }
}

const expectedOf = (key: string): string => {
  const field = fieldOfKey(key)
  return field === undefined ? "a value" : KEYS[field].expected
}

const lexLine = (raw: string): Line => {
  const text = raw.trim()
  if (text === "" || text.startsWith("#")) return blank
  const equals = text.indexOf("=")
  // An '=' inside a trailing comment does not make a key = value line.
  const keyPart = equals === -1 ? text : text.slice(0, equals)
  if (equals === -1 || commentStart(keyPart) !== -1) {
    if (text.startsWith("[")) return malformed(undefined, "sections are not supported; expected 'key = value' lines")
    const firstWord = /^[A-Za-z0-9_-]+/.exec(text)?.[0]
    if (firstWord !== undefined && fieldOfKey(firstWord) !== undefined) {
      return malformed(firstWord, `missing '='; expected '${firstWord} = value'`)
    }
    return malformed(undefined, `malformed line '${printable(text)}'; expected 'key = value' or a # comment`)
  }
  const key = keyPart.trim()
  if (key === "") return malformed(undefined, "missing key before '='; expected 'key = value'")
  return lexValue(key, text.slice(equals + 1))
}

// ---- suggestions for unknown keys ---------------------------------------------

const editDistance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]!
}

/** The known key an unknown one most likely meant: a near spelling, or one containing the other. */
export const closestKey = (key: string): string | undefined => {
  if (key.length > 64) return undefined
  const wanted = key.toLowerCase().replace(/[\s.-]+/g, "_")
  let best: { readonly key: string; readonly distance: number } | undefined
  for (const known of KNOWN_KEYS) {
    const distance = editDistance(wanted, known)
    const near = distance <= Math.max(2, Math.floor(known.length / 3))
    const contains = Math.min(wanted.length, known.length) >= 4 && (known.includes(wanted) || wanted.includes(known))
    if ((near || contains) && (best === undefined || distance < best.distance)) best = { key: known, distance }
  }
  return best?.key
}

const unknownKeyReason = (key: string): string => {
  const style = KEY_SYNTAX.test(key) ? "" : " (keys are lower_snake_case)"
  const suggestion = closestKey(key)
  return suggestion === undefined
    ? `unknown key${style}; known keys: ${KNOWN_KEYS.join(", ")}`
    : `unknown key${style}; did you mean '${suggestion}'?`
}

// ---- the file -----------------------------------------------------------------

type Present = { -readonly [F in Field]?: Config[F] }

export interface ParseOptions {
  /**
   * What the file format cannot know about a schedule: whether its agent
   * exists and takes its message. The reason it would be refused, or undefined.
   */
  readonly checkSchedule?: ((schedule: ConfiguredSchedule) => string | undefined) | undefined
}

/**
 * Decodes `text` as the value of `key` (which names `field`) into `settings`;
 * the failure is the reason. Each `schedule.NAME` line adds one schedule.
 */
const decodeInto = (settings: Present, key: string, field: Field, text: string, options: ParseOptions): Result.Result<void, string> => {
  if (field === "schedules") {
    const name = key.slice(SCHEDULE_KEY_PREFIX.length)
    const problem = scheduleNameProblem(name)
    if (problem !== undefined) return Result.fail(problem)
    return Result.flatMap(decodeSetting("schedules", text), (job) => {
      const schedule = { name, ...job }
      const refused = options.checkSchedule?.(schedule)
      if (refused !== undefined) return Result.fail(refused)
      settings.schedules = [...(settings.schedules ?? []), schedule]
      return Result.succeed(undefined)
    })
  }
  return Result.map(decodeSetting(field, text), (value) => {
    ;(settings as Record<Field, unknown>)[field] = value
  })
}

/**
 * Parses a configuration file's text. The result holds only the keys present;
 * the failure names `file`, the line, the key, what is wrong and what is
 * expected.
 */
export const parseConfig = (text: string, file: string, options: ParseOptions = {}): Result.Result<Partial<Config>, ConfigError> => {
  const settings: Present = {}
  const firstLineOf = new Map<string, number>()
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/)
  for (let index = 0; index < lines.length; index++) {
    const line = index + 1
    const fail = (key: string | undefined, reason: string) => Result.fail(new ConfigError({ file, line, key, reason }))
    const entry = lexLine(lines[index]!)
    if (entry._tag === "Blank") continue
    if (entry._tag === "Malformed") {
      // A bad value of an unknown key is reported as the unknown key: that is what to fix first.
      if (entry.key !== undefined && fieldOfKey(entry.key) === undefined) return fail(entry.key, unknownKeyReason(entry.key))
      return fail(entry.key, entry.reason)
    }
    const field = fieldOfKey(entry.key)
    if (field === undefined) return fail(entry.key, unknownKeyReason(entry.key))
    const first = firstLineOf.get(entry.key)
    if (first !== undefined) return fail(entry.key, `duplicate key, already set on line ${first}; keep only one of the two lines`)
    firstLineOf.set(entry.key, line)
    const decoded = decodeInto(settings, entry.key, field, entry.value, options)
    if (Result.isFailure(decoded)) return fail(entry.key, decoded.failure)
  }
  return Result.succeed(settings)
}

/** A value in the file's syntax: bare when that reads back the same, else double-quoted. */
export const formatValue = (value: string): string =>
  /^[^\s"#]+$/.test(value) ? value : `"${value.replaceAll("\\", "\\\\").replaceAll("\"", "\\\"")}"`
