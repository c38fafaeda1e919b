/**
 * ORACLE's model of disk-failure risk: one small observation per disk per
 * day, judged on the reading and on how its counters moved.
 *
 * The rule table (weights add up to a score 0–100; ok < 10 ≤ watch < 30 ≤
 * warn < 60 ≤ critical). Where the weights come from:
 * - Backblaze's drive stats (2016 on, tens of thousands of drives): SMART 5,
 *   187, 188, 197 and 198 are the attributes whose non-zero raw values most
 *   often precede a failure; each alone is seen on some healthy drives, so a
 *   stable small count is "watch", not an alarm.
 * - Pinheiro, Weber, Barroso, "Failure Trends in a Large Disk Drive
 *   Population" (Google, FAST 2007): after the first reallocation, offline
 *   reallocation or pending sector, a drive is many times likelier to fail
 *   within 60 days; growth matters more than the level; temperature and
 *   interface (CRC) errors are weak predictors.
 * - NVMe 1.4 §5.14.1.2 (SMART / Health Information): critical_warning bits,
 *   available spare against its threshold, percentage used (may exceed 100).
 *
 * | evidence | weight |
 * | --- | --- |
 * | SMART overall status FAILED, a pre-fail attribute at threshold now, NVMe critical warning bit 0 (spare), 2 (reliability) or 3 (read-only), NVMe spare below threshold | critical (score ≥ 80) |
 * | 5 reallocated, 196-equivalent: non-zero | 8 + 3·log2(count) (max 20) |
 * | 197 pending, 198 offline uncorrectable: non-zero | 14 + 3·log2(count) (max 26) |
 * | 187 reported uncorrectable | 10 + 3·log2(count) (max 20) |
 * | 188 command timeouts | 4 + log2(count) (max 8) |
 * | NVMe media errors, SCSI grown defects, SCSI uncorrected errors | 12 + 3·log2(count) (max 24) |
 * | any of the counters above grew in the last 7 days | 12 + 2·growth (max 40), +8 if it also grew in the last day |
 * | most recent self-test failed | 35 |
 * | a pre-fail attribute failed in the past | 10 |
 * | NVMe percentage used ≥ 90 / ≥ 100 | 12 / 30 |
 * | temperature ≥ 55 °C / ≥ 65 °C | 8 / 20 (never above watch on its own) |
 * | 199 CRC errors growing (a cable) | 6 |
 */
import type { SmartReport } from "../../adapters/smart/Smart.ts"
import type { Evidence, Observation, RiskLevel } from "./messages.ts"

export type { Evidence, Observation, RiskLevel } from "./messages.ts"

/** The counters whose level and growth are judged; all optional (a drive reports what it has). */
export const COUNTERS = {
  reallocated: { label: "reallocated sectors (SMART 5)", base: 8, per: 3, max: 20 },
  pending: { label: "sectors pending reallocation (SMART 197)", base: 14, per: 3, max: 26 },
  offlineUncorrectable: { label: "offline uncorrectable sectors (SMART 198)", base: 14, per: 3, max: 26 },
  reportedUncorrect: { label: "reported uncorrectable errors (SMART 187)", base: 10, per: 3, max: 20 },
  commandTimeout: { label: "command timeouts (SMART 188)", base: 4, per: 1, max: 8 },
  mediaErrors: { label: "NVMe media errors", base: 12, per: 3, max: 24 },
  grownDefects: { label: "grown defects (SCSI)", base: 12, per: 3, max: 24 },
  scsiUncorrected: { label: "uncorrected SCSI read/write errors", base: 12, per: 3, max: 24 }
} as const
export type CounterName = keyof typeof COUNTERS

const ATA_COUNTERS: ReadonlyArray<readonly [number, CounterName]> = [
  [5, "reallocated"],
  [187, "reportedUncorrect"],
  [188, "commandTimeout"],
  [197, "pending"],
  [198, "offlineUncorrectable"]
]

export const observe = (report: SmartReport, at: number): Observation => {
  const counters: Partial<Record<CounterName, number>> = {}
  const attributes = report.attributes ?? []
  for (const [id, name] of ATA_COUNTERS) {
    const attribute = attributes.find((a) => a.id === id)
    if (attribute !== undefined) counters[name] = attribute.rawCount
  }
  if (report.nvme !== undefined) counters.mediaErrors = report.nvme.mediaErrors
  if (report.scsi?.grownDefectList !== undefined) counters.grownDefects = report.scsi.grownDefectList
  const uncorrected = [report.scsi?.uncorrectedReadErrors, report.scsi?.uncorrectedWriteErrors].filter((n): n is number => n !== undefined)
  if (uncorrected.length > 0) counters.scsiUncorrected = uncorrected.reduce((a, b) => a + b, 0)
  const crc = attributes.find((a) => a.id === 199)
  return {
    at,
    counters,
    ...(crc === undefined ? {} : { crcErrors: crc.rawCount }),
    ...(report.passed === undefined ? {} : { passed: report.passed }),
    prefailNow: attributes.filter((a) => a.prefailure && a.threshold > 0 && (a.value <= a.threshold || a.whenFailed === "now")).map((a) => a.name),
    failedInPast: attributes.filter((a) => a.whenFailed === "past").map((a) => a.name),
    selfTestFailed: report.selfTests?.mostRecentFailed === true,
    ...(report.nvme === undefined ? {} : {
      nvmeCriticalWarning: report.nvme.criticalWarning,
      nvmeSpare: report.nvme.availableSpare,
      nvmeSpareThreshold: report.nvme.availableSpareThreshold,
      nvmePercentageUsed: report.nvme.percentageUsed
    }),
    ...(report.temperatureC === undefined ? {} : { temperatureC: report.temperatureC }),
    ...(report.powerOnHours === undefined ? {} : { powerOnHours: report.powerOnHours })
  }
}

export interface Assessment {
  readonly level: RiskLevel
  readonly score: number
  readonly evidence: ReadonlyArray<Evidence>
  /** The counters judged, for alert bookkeeping. */
  readonly counters: Partial<Record<CounterName, number>>
}

const DAY = 24 * 60 * 60 * 1000

/** The latest observation at or before `time` (history sorted by time), by binary search. */
const atOrBefore = (history: ReadonlyArray<Observation>, time: number): Observation | undefined => {
  let lo = 0
  let hi = history.length - 1
  let found: Observation | undefined
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (history[mid]!.at <= time) {
      found = history[mid]
      lo = mid + 1
    } else hi = mid - 1
  }
  return found
}

const levelOf = (score: number): RiskLevel => (score >= 60 ? "critical" : score >= 30 ? "warn" : score >= 10 ? "watch" : "ok")
export const RANK: Readonly<Record<RiskLevel, number>> = { ok: 0, watch: 1, warn: 2, critical: 3 }

const NVME_WARNINGS: ReadonlyArray<readonly [number, string, boolean]> = [
  [0x01, "available spare is below its threshold", true],
  [0x02, "temperature is outside its limits", false],
  [0x04, "reliability is degraded by media or internal errors", true],
  [0x08, "the drive has gone read-only", true],
  [0x10, "the volatile memory backup has failed", false],
  [0x20, "the persistent memory region has gone read-only", true]
]

/**
 * The risk of `current`, given the observations before it (oldest first).
 * History older than 30 days is only used to tell "stable" from "new".
 */
export const assess = (device: string, current: Observation, history: ReadonlyArray<Observation>): Assessment => {
  void device
  const evidence: Array<Evidence> = []
  let critical = false
  const add = (code: string, weight: number, text: string) => evidence.push({ code, weight: Math.round(weight * 10) / 10, text })

  if (current.passed === false) {
    critical = true
    add("smart-failed", 80, "the drive's own SMART health check says FAILED")
  }
  for (const name of current.prefailNow) {
    critical = true
    add("prefail-threshold", 80, `pre-fail attribute ${name} is at or below its threshold: the drive predicts its own failure`)
  }
  if (current.failedInPast.length > 0) add("failed-in-past", 10, `attribute${current.failedInPast.length === 1 ? "" : "s"} ${current.failedInPast.join(", ")} fell to the threshold in the past`)
  if (current.selfTestFailed) add("self-test-failed", 35, "the most recent self-test failed")

  const dayAgo = atOrBefore(history, current.at - DAY)
  const weekAgo = atOrBefore(history, current.at - 7 * DAY) ?? history[0]
  const monthAgo = atOrBefore(history, current.at - 30 * DAY)
  for (const name of Object.keys(COUNTERS) as Array<CounterName>) {
    const value = current.counters[name]
    if (value === undefined || value <= 0) continue
    const rule = COUNTERS[name]
    add(name, Math.min(rule.max, rule.base + rule.per * Math.log2(value)), "")
    const before = weekAgo?.counters[name]
    const grew = before !== undefined && value > before
    const since = monthAgo?.counters[name]
    const last = evidence.pop()!
    if (grew) {
      const growth = value - before
      const days = Math.max(1, Math.round((current.at - weekAgo!.at) / DAY))
      const lastDay = dayAgo?.counters[name]
      const today = lastDay !== undefined && value > lastDay
      add(name, last.weight, `${rule.label}: ${value}`)
      add(`${name}-growth`, Math.min(40, 12 + 2 * growth) + (today ? 8 : 0),
        `${rule.label} rose from ${before} to ${value} in the last ${days} day${days === 1 ? "" : "s"}` + (today ? `, ${value - lastDay!} of them in the last day` : ""))
    } else {
      const stableText = since !== undefined && since === value
        ? `${rule.label}: ${value}, unchanged for 30 days`
        : history.length === 0
        ? `${rule.label}: ${value} (first reading, no history yet)`
        : `${rule.label}: ${value}, unchanged since the last reading`
      add(name, last.weight, stableText)
    }
  }

  if (current.nvmeCriticalWarning !== undefined && current.nvmeCriticalWarning !== 0) {
    for (const [bit, text, isCritical] of NVME_WARNINGS) {
      if ((current.nvmeCriticalWarning & bit) === 0) continue
      if (isCritical) critical = true
      add(`nvme-warning-${bit}`, isCritical ? 80 : 10, `NVMe critical warning: ${text}`)
    }
  }
  if (current.nvmeSpare !== undefined && current.nvmeSpareThreshold !== undefined && current.nvmeSpare < current.nvmeSpareThreshold) {
    critical = true
    add("nvme-spare", 80, `NVMe available spare ${current.nvmeSpare}% is below its threshold ${current.nvmeSpareThreshold}%`)
  }
  if (current.nvmePercentageUsed !== undefined && current.nvmePercentageUsed >= 90) {
    add("nvme-wear", current.nvmePercentageUsed >= 100 ? 30 : 12, `NVMe wear: ${current.nvmePercentageUsed}% of its rated endurance used`)
  }
  if (current.temperatureC !== undefined && current.temperatureC >= 55) {
    add("temperature", current.temperatureC >= 65 ? 20 : 8, `temperature ${current.temperatureC} °C is above ${current.temperatureC >= 65 ? 65 : 55} °C`)
  }
  const crcBefore = weekAgo?.crcErrors
  if (current.crcErrors !== undefined && crcBefore !== undefined && current.crcErrors > crcBefore) {
    add("crc", 6, `interface CRC errors rose from ${crcBefore} to ${current.crcErrors}: check the cable or the port`)
  }

  const total = evidence.reduce((sum, e) => sum + e.weight, 0)
  const score = Math.round(Math.min(100, critical ? Math.max(80, total) : total))
  return { level: critical ? "critical" : levelOf(score), score, evidence: evidence.sort((a, b) => b.weight - a.weight), counters: { ...current.counters } }
}

/** What ORACLE remembers about what it last alerted for one disk. */
export interface AlertMemo {
  readonly level: RiskLevel
  readonly counters: Partial<Record<CounterName, number>>
}

export interface AlertDecision {
  readonly alert: boolean
  /** The level fell back to ok: the earlier alert is over. */
  readonly cleared: boolean
  readonly memo: AlertMemo | undefined
  readonly reason: string
}

/**
 * No alert storm: alert when the level rises above what was last alerted, or
 * when a counter grows past the value last alerted for (at watch or worse);
 * a stable non-zero count alerts once. Falling back to ok clears the memo, so
 * a later rise alerts again.
 */
export const alertDecision = (previous: AlertMemo | undefined, assessment: Assessment): AlertDecision => {
  if (assessment.level === "ok") {
    return { alert: false, cleared: previous !== undefined, memo: undefined, reason: previous === undefined ? "healthy" : "back to ok" }
  }
  const memo: AlertMemo = { level: assessment.level, counters: assessment.counters }
  if (previous === undefined || RANK[assessment.level] > RANK[previous.level]) {
    return { alert: true, cleared: false, memo, reason: `level ${previous?.level ?? "ok"} → ${assessment.level}` }
  }
  const grown = (Object.keys(assessment.counters) as Array<CounterName>).filter((name) =>
    (assessment.counters[name] ?? 0) > (previous.counters[name] ?? 0)
  )
  if (grown.length > 0) return { alert: true, cleared: false, memo, reason: `${grown.join(", ")} grew since the last alert` }
  // Keep the highest level alerted, so wobbling between warn and watch does not re-alert.
  return { alert: false, cleared: false, memo: { level: RANK[previous.level] > RANK[assessment.level] ? previous.level : assessment.level, counters: assessment.counters }, reason: "nothing new" }
}
