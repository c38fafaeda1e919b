/**
 * The time range of a PRISM `query`: `from`/`to` (ms since the epoch or an
 * RFC 3339 date) or `since` (a duration back from now), and `step` (a
 * duration or ms). Durations are written as Prometheus writes them: a number
 * and a unit, several in a row from the largest (1h30m, 90s, 7d, 250ms).
 */
import { HistoryQueryInvalid } from "../../history/History.ts"

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 }
const DURATION = /^(?:\d+(?:ms|s|m|h|d|w|y))+$/

/** A duration in ms, or undefined when the text is not one. */
export const parseDuration = (text: string): number | undefined => {
  if (!DURATION.test(text)) return undefined
  let total = 0
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(n) * UNIT_MS[unit!]!
  return Number.isSafeInteger(total) && total > 0 ? total : undefined
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/

const momentOf = (field: string, value: number | string): number | HistoryQueryInvalid => {
  if (typeof value === "number") return value
  const ms = RFC3339.test(value) ? Date.parse(value) : NaN
  return Number.isFinite(ms) ? ms : new HistoryQueryInvalid({ field, reason: `'${value.slice(0, 40)}' is not ms since the epoch nor an RFC 3339 date such as 2026-12-07T17:00:00Z` })
}

/** Without from, to or since: the last hour. */
export const DEFAULT_SINCE_MS = 3_600_000

export interface RangeRequest {
  readonly from?: number | string | undefined
  readonly to?: number | string | undefined
  readonly since?: string | undefined
  readonly step?: number | string | undefined
}

export const resolveRange = (
  request: RangeRequest,
  now: number
): { readonly from: number; readonly to: number; readonly step: number | undefined } | HistoryQueryInvalid => {
  if (request.since !== undefined && request.from !== undefined) {
    return new HistoryQueryInvalid({ field: "since", reason: "cannot be given with from (since means from now minus since)" })
  }
  const to = request.to === undefined ? now : momentOf("to", request.to)
  if (to instanceof HistoryQueryInvalid) return to
  let from: number | HistoryQueryInvalid
  if (request.from !== undefined) from = momentOf("from", request.from)
  else if (request.since !== undefined) {
    const since = parseDuration(request.since)
    if (since === undefined) return new HistoryQueryInvalid({ field: "since", reason: `'${request.since.slice(0, 40)}' is not a duration such as 90s, 15m, 6h or 7d` })
    from = to - since
  } else from = to - DEFAULT_SINCE_MS
  if (from instanceof HistoryQueryInvalid) return from
  if (from > to) return new HistoryQueryInvalid({ field: "from", reason: "is after 'to'" })
  let step: number | undefined
  if (typeof request.step === "string") {
    step = parseDuration(request.step)
    if (step === undefined) return new HistoryQueryInvalid({ field: "step", reason: `'${request.step.slice(0, 40)}' is not a duration such as 30s, 5m or 1h` })
  } else if (request.step !== undefined) {
    if (!(request.step >= 1)) return new HistoryQueryInvalid({ field: "step", reason: "must be at least 1 ms" })
    step = request.step
  }
  return { from, to, step }
}
