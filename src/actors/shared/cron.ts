/**
 * The cron dialect of ORBIT (and of FLUX's schedule triggers): the classic five fields (minute hour day-of-month
 * month day-of-week) parsed by Effect's Cron module, plus the `@` aliases of
 * Vixie cron. What the dialect accepts, and where it is deliberately stricter:
 *
 * - `*`, lists `1,5`, ranges `1-5`, steps over the whole field or a range
 *   (`0-59/15`, `1-10/3`, or `*` followed by `/15`), and `5/15` meaning from 5
 *   to the end of the field, as cronie reads it.
 * - Month names `jan`…`dec` and day names `sun`…`sat`, in any case, also in
 *   ranges (`mon-fri`). Day-of-week 0 and 7 are both Sunday.
 * - Day-of-month and day-of-week both restricted: a day matching EITHER runs
 *   (`0 0 13 * fri` is every 13th and every Friday), as in Vixie cron. When
 *   either of the two fields starts with `*` (a step such as every other day),
 *   both must match, again as in Vixie cron.
 * - Refused: six fields (seconds), `@reboot`, Quartz's `L`, `W`, `#` and `?`,
 *   and a date that never exists (`0 0 30 feb *`) rather than never running.
 */
import { Cron, type DateTime, Result, Schema } from "effect"

export const FIELDS = ["minute", "hour", "day-of-month", "month", "day-of-week"] as const

export const ALIASES: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *"
}

export class InvalidCron extends Schema.TaggedError<InvalidCron>()("InvalidCron", {
  expression: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `invalid cron expression ${JSON.stringify(this.expression)}: ${this.reason}`
  }
}

const lowerFirst = (text: string) => text.charAt(0).toLowerCase() + text.slice(1)

// The longest month each month index (1-12) can have; February counts its leap day.
const LONGEST_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/** True when some day of the month restriction exists in some allowed month. */
const dayOfMonthCanOccur = (cron: Cron.Cron): boolean => {
  if (cron.days.size === 0) return true
  const months = cron.months.size === 0 ? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] : [...cron.months]
  const earliestDay = Math.min(...cron.days)
  return months.some((month) => earliestDay <= LONGEST_MONTH[month]!)
}

/**
 * Parses a five-field expression or an `@` alias, evaluated in `zone`. The
 * error names the offending field, so `60 * * * *` says "minute field '60'".
 */
export const parse = (expression: string, zone: DateTime.TimeZone): Result.Result<Cron.Cron, InvalidCron> => {
  const invalid = (reason: string) => Result.fail(new InvalidCron({ expression, reason }))
  const trimmed = expression.trim()
  if (trimmed === "") return invalid("it is empty; expected five fields (minute hour day-of-month month day-of-week) or an alias like @daily")
  if (trimmed.startsWith("@")) {
    const alias = ALIASES[trimmed.toLowerCase()]
    if (alias === undefined) {
      return invalid(`unknown alias ${trimmed}; known aliases: ${Object.keys(ALIASES).join(", ")}`)
    }
    return parse(alias, zone)
  }
  const fields = trimmed.split(/\s+/)
  if (fields.length !== FIELDS.length) {
    return invalid(
      `expected 5 fields (${FIELDS.join(" ")}), got ${fields.length}` +
        (fields.length === 6 ? "; a seconds field is not supported" : "")
    )
  }
  // Effect reports what is wrong but not where: parse each field alone to name it.
  for (let index = 0; index < fields.length; index++) {
    const alone = FIELDS.map((_, i) => (i === index ? fields[index]! : "*")).join(" ")
    const checked = Cron.parse(alone, zone)
    if (Result.isFailure(checked)) {
      return invalid(`${FIELDS[index]} field '${fields[index]}': ${lowerFirst(checked.failure.message)}`)
    }
  }
  const parsed = Cron.parse(fields.join(" "), zone)
  if (Result.isFailure(parsed)) return invalid(lowerFirst(parsed.failure.message))
  const cron = parsed.success
  // Effect's rule for ANDing the two day fields, which it keeps internal: either field starts with '*'.
  const bothDaysMustMatch = fields[2]!.startsWith("*") || fields[4]!.startsWith("*")
  const dayDecides = cron.weekdays.size === 0 || bothDaysMustMatch
  if (dayDecides && !dayOfMonthCanOccur(cron)) {
    return invalid(`day-of-month '${fields[2]}' never occurs in month '${fields[3]}', so it would never run`)
  }
  return Result.succeed(cron)
}

/**
 * The first run strictly after `afterMs` (epoch ms), or undefined when the
 * search finds none (only for dates so rare that Effect's bounded search
 * gives up; `parse` refuses the impossible ones).
 */
export const nextRun = (cron: Cron.Cron, afterMs: number): number | undefined => {
  const next = Result.try(() => Cron.next(cron, afterMs).getTime())
  return Result.isSuccess(next) ? next.success : undefined
}
