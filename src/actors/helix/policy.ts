/**
 * HELIX's retention engine, pure: sanoid's policy semantics (sanoid 2.1,
 * /usr/sbin/sanoid), made explicit. From the policies (templates with
 * per-period counts), the datasets and their snapshots and the time, it says
 * which snapshots to take now, what to keep and what to prune — each with
 * its reason — and which periods have gone stale (sanoid's monitor).
 *
 * Pruning, per dataset and period (sanoid's prune_snapshots): the period's
 * autosnap snapshots, oldest first; a snapshot goes when it is older than
 * `count × period` AND more than `count` of the period would remain. Since
 * they are in creation order, that is: pruned ⇔ its rank from the newest is
 * beyond the count AND it is older than count × period. The differential
 * test (test/actors/helix/sanoid-differential.test.ts) holds this to sanoid
 * itself; docs/snapshots.md lists where HELIX differs on purpose.
 */
import {
  type AgeWarning,
  type Decision,
  type DatasetPolicy,
  type DueSnapshot,
  type EffectivePolicy,
  type Period,
  PERIODS,
  type Policies,
  type PolicySettings
} from "./messages.ts"

/** Every setting with a value: sanoid.defaults.conf (version 2). */
export type Settings = { readonly [K in keyof PolicySettings]-?: Exclude<PolicySettings[K], undefined> }

export const DEFAULT_SETTINGS: Settings = {
  frequently: 0,
  hourly: 48,
  daily: 90,
  weekly: 0,
  monthly: 6,
  yearly: 0,
  frequentPeriod: 15,
  autosnap: true,
  autoprune: true,
  hourlyMin: 0,
  dailyHour: 23,
  dailyMin: 59,
  weeklyWday: 1,
  weeklyHour: 23,
  weeklyMin: 30,
  monthlyMday: 1,
  monthlyHour: 0,
  monthlyMin: 0,
  yearlyMon: 1,
  yearlyMday: 1,
  yearlyHour: 0,
  yearlyMin: 0,
  monitor: true,
  frequentlyWarn: "0",
  frequentlyCrit: "0",
  hourlyWarn: "90m",
  hourlyCrit: "360m",
  dailyWarn: "28h",
  dailyCrit: "32h",
  weeklyWarn: "0",
  weeklyCrit: "0",
  monthlyWarn: "32d",
  monthlyCrit: "40d",
  yearlyWarn: "0",
  yearlyCrit: "0"
}

/** The template every dataset starts from, when the administrator defines one (sanoid's [template_default]). */
export const DEFAULT_TEMPLATE = "default"

/** A dataset's resolved policy. */
export interface Resolved {
  readonly dataset: string
  /** The dataset whose policy applies (itself or its recursive ancestor). */
  readonly from: string
  readonly recursive: boolean | "zfs"
  /** Snapshots of it are taken by an ancestor's `zfs snapshot -r`. */
  readonly inZfsRecursion: boolean
  readonly settings: Settings
}

export interface SnapshotRecord {
  readonly dataset: string
  /** The part after '@'. */
  readonly snapshot: string
  /** Seconds since the epoch. */
  readonly creation: number
}

export interface DecisionDetail extends Decision {
  readonly dataset: string
  readonly period: string | null
  readonly creation: number
}

const DAY = 86_400

/** The length of a period in seconds, as sanoid prunes with it (a month is 31 days, a year 365.25). */
export const periodSeconds = (period: Period, settings: Settings): number => {
  switch (period) {
    case "frequently":
      return 60 * settings.frequentPeriod
    case "hourly":
      return 3600
    case "daily":
      return DAY
    case "weekly":
      return 7 * DAY
    case "monthly":
      return 31 * DAY
    case "yearly":
      return 365.25 * DAY
  }
}

const isPeriod = (word: string): word is Period => (PERIODS as ReadonlyArray<string>).includes(word)

/**
 * The period sanoid reads from a snapshot's name: only names starting with
 * "autosnap" and ending in "ly" are its own; the period is the word after
 * the last '_' that leads to "ly" (sanoid's `m/.*_(\w*ly)/`). Undefined: not
 * a retention snapshot at all; "": sanoid's, but with no period it knows.
 */
export const periodOf = (snapshot: string): string | undefined => {
  if (!snapshot.startsWith("autosnap") || !snapshot.endsWith("ly")) return undefined
  const match = /^.*_(\w*ly)/.exec(snapshot)
  return match === null ? "" : match[1]!
}

/** Settings over settings: what `over` sets wins. */
const overlay = (base: Settings, over: PolicySettings | undefined): Settings => {
  if (over === undefined) return base
  const next: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(over)) if (value !== undefined) next[key] = value
  return next as Settings
}

/** Templates a policy names that do not exist. */
export const unknownTemplates = (policies: Policies, policy: DatasetPolicy): ReadonlyArray<string> =>
  (policy.templates ?? []).filter((name) => policies.templates[name] === undefined)

/** One dataset's own policy, resolved: defaults, the "default" template, its templates in order, its own settings. */
export const settingsOf = (policies: Policies, policy: DatasetPolicy): Settings => {
  let settings = overlay(DEFAULT_SETTINGS, policies.templates[DEFAULT_TEMPLATE])
  for (const name of policy.templates ?? []) settings = overlay(settings, policies.templates[name])
  return overlay(settings, policy.settings)
}

const isBelow = (dataset: string, ancestor: string) => dataset.startsWith(`${ancestor}/`)

/**
 * Every dataset a policy covers: those with their own policy (existing or
 * not, like sanoid's sections), and, for recursive policies, every existing
 * descendant. A dataset's own policy wins over an ancestor's, and the
 * nearest recursive ancestor over a farther one (sanoid leaves this to the
 * order of its hash keys).
 */
export const resolvePolicies = (policies: Policies, datasets: ReadonlyArray<string>): Map<string, Resolved> => {
  const resolved = new Map<string, Resolved>()
  const own = Object.entries(policies.datasets).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  for (const [dataset, policy] of own) {
    resolved.set(dataset, {
      dataset,
      from: dataset,
      recursive: policy.recursive ?? false,
      inZfsRecursion: false,
      settings: settingsOf(policies, policy)
    })
  }
  const candidates = [...new Set(datasets)].sort()
  for (const dataset of candidates) {
    if (policies.datasets[dataset] !== undefined) continue
    // The nearest ancestor with a recursive policy.
    let ancestor: string | undefined
    for (const [name, policy] of own) {
      if ((policy.recursive ?? false) !== false && isBelow(dataset, name) && (ancestor === undefined || name.length > ancestor.length)) {
        ancestor = name
      }
    }
    if (ancestor === undefined) continue
    const parent = resolved.get(ancestor)!
    const zfs = parent.recursive === "zfs"
    resolved.set(dataset, {
      dataset,
      from: ancestor,
      recursive: parent.recursive,
      inZfsRecursion: zfs,
      settings: zfs ? { ...parent.settings, autosnap: false } : parent.settings
    })
  }
  return resolved
}

export const effectiveView = (policy: Resolved): EffectivePolicy => ({
  dataset: policy.dataset,
  from: policy.from,
  recursive: policy.recursive,
  counts: {
    frequently: policy.settings.frequently,
    hourly: policy.settings.hourly,
    daily: policy.settings.daily,
    weekly: policy.settings.weekly,
    monthly: policy.settings.monthly,
    yearly: policy.settings.yearly
  },
  frequentPeriod: policy.settings.frequentPeriod,
  autosnap: policy.settings.autosnap && !policy.inZfsRecursion,
  autoprune: policy.settings.autoprune,
  monitor: policy.settings.monitor
})

const ordinal = (n: number): string => {
  const tens = n % 100
  if (tens >= 11 && tens <= 13) return `${n}th`
  return `${n}${["th", "st", "nd", "rd"][n % 10] ?? "th"}`
}

/** "90 minutes", "2 days", "1.5 hours": an age for a reason. */
export const describeSeconds = (seconds: number): string => {
  const units: ReadonlyArray<readonly [number, string]> = [[365.25 * DAY, "year"], [DAY, "day"], [3600, "hour"], [60, "minute"], [1, "second"]]
  const magnitude = Math.abs(seconds)
  for (const [size, word] of units) {
    if (magnitude >= size || size === 1) {
      const value = Math.round((seconds / size) * 10) / 10
      return `${value} ${word}${Math.abs(value) === 1 ? "" : "s"}`
    }
  }
  return `${seconds} seconds`
}

const fullName = (s: SnapshotRecord) => `${s.dataset}@${s.snapshot}`

/** A stable order: oldest first, then by name (sanoid's order among equal creation times is its hash's). */
const byCreation = (a: SnapshotRecord, b: SnapshotRecord) =>
  a.creation - b.creation || (a.snapshot < b.snapshot ? -1 : a.snapshot > b.snapshot ? 1 : 0)

const groupByDataset = (snapshots: ReadonlyArray<SnapshotRecord>): Map<string, Array<SnapshotRecord>> => {
  const groups = new Map<string, Array<SnapshotRecord>>()
  for (const snapshot of snapshots) {
    const group = groups.get(snapshot.dataset)
    if (group === undefined) groups.set(snapshot.dataset, [snapshot])
    else group.push(snapshot)
  }
  return groups
}

/**
 * Keep or prune, with the reason, for every snapshot of every dataset a
 * policy covers (oldest first per dataset). `protectedSnapshots` (full
 * name → why: a hold, the newest common snapshot of a replication pair) are
 * kept and not counted against any period's count.
 */
export const retention = (
  policies: ReadonlyMap<string, Resolved>,
  snapshots: ReadonlyArray<SnapshotRecord>,
  now: number,
  protectedSnapshots: ReadonlyMap<string, string> = new Map()
): Array<DecisionDetail> => {
  const decisions: Array<DecisionDetail> = []
  const groups = groupByDataset(snapshots)
  const datasets = [...policies.keys()].sort()
  for (const dataset of datasets) {
    const policy = policies.get(dataset)!
    const own = (groups.get(dataset) ?? []).slice().sort(byCreation)
    const settings = policy.settings
    const verdict = new Map<SnapshotRecord, { action: "keep" | "prune"; reason: string }>()
    const byPeriod = new Map<Period, Array<SnapshotRecord>>()
    for (const snapshot of own) {
      const period = periodOf(snapshot.snapshot)
      const held = protectedSnapshots.get(fullName(snapshot))
      if (held !== undefined) {
        verdict.set(snapshot, { action: "keep", reason: `${held}: never pruned, and not counted against the policy's counts` })
      } else if (period === undefined) {
        verdict.set(snapshot, { action: "keep", reason: "not an autosnap_…ly snapshot: retention leaves it alone" })
      } else if (!isPeriod(period)) {
        verdict.set(snapshot, { action: "keep", reason: `its period '${period}' is none of ${PERIODS.join(", ")}: retention leaves it alone` })
      } else if (!settings.autoprune) {
        verdict.set(snapshot, { action: "keep", reason: `autoprune is off for ${dataset}${policy.from === dataset ? "" : ` (policy of ${policy.from})`}` })
      } else {
        const list = byPeriod.get(period)
        if (list === undefined) byPeriod.set(period, [snapshot])
        else list.push(snapshot)
      }
    }
    for (const [period, list] of byPeriod) {
      const count = settings[period]
      const length = periodSeconds(period, settings)
      const maxAge = now - count * length
      const window = count === 0 ? "" : `${count} × ${describeSeconds(length)}`
      list.forEach((snapshot, index) => {
        const rank = list.length - index
        const age = describeSeconds(now - snapshot.creation)
        const beyond = rank > count
        const old = snapshot.creation < maxAge
        if (beyond && old) {
          verdict.set(snapshot, {
            action: "prune",
            reason: count === 0
              ? `${period}=0: no ${period} snapshots are kept (${ordinal(rank)} newest, ${age} old)`
              : `${ordinal(rank)} newest ${period} beyond ${period}=${count}, and ${age} old, older than ${window}`
          })
        } else if (!beyond) {
          verdict.set(snapshot, { action: "keep", reason: `${ordinal(rank)} newest ${period}, within ${period}=${count}` })
        } else {
          verdict.set(snapshot, {
            action: "keep",
            reason: `${ordinal(rank)} newest ${period}, beyond ${period}=${count}, but ${age} old, not older than ${window === "" ? "now" : window}`
          })
        }
      })
    }
    for (const snapshot of own) {
      const { action, reason } = verdict.get(snapshot)!
      const period = periodOf(snapshot.snapshot)
      decisions.push({ snapshot: fullName(snapshot), action, reason, dataset, period: period ?? null, creation: snapshot.creation })
    }
  }
  return decisions
}

/** The time as sanoid names its snapshots: 2026-12-07_14:00:00 (here always UTC). */
export const stamp = (seconds: number): string => {
  const iso = new Date(seconds * 1000).toISOString()
  return `${iso.slice(0, 10)}_${iso.slice(11, 19)}`
}

export const autosnapName = (seconds: number, period: Period) => `autosnap_${stamp(seconds)}_${period}`

const utc = (year: number, month: number, day: number, hour: number, minute: number) => Date.UTC(year, month, day, hour, minute, 0) / 1000

/**
 * When the period's latest snapshot should have been taken, at `now` (sanoid's
 * "last preferred time", in UTC). A month back is 31 days, as in sanoid; a
 * year back is the previous year's date (sanoid subtracts 31 × 365.25 days,
 * a slip that makes a yearly snapshot due only when there is none).
 */
export const lastPreferred = (period: Period, settings: Settings, now: number): number => {
  const date = new Date(now * 1000)
  const [year, month, day, hour, minute, wday] = [
    date.getUTCFullYear(),
    date.getUTCMonth(),
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCDay()
  ]
  switch (period) {
    case "frequently": {
      const slice = Math.floor(minute / settings.frequentPeriod) * settings.frequentPeriod
      const at = utc(year, month, day, hour, slice)
      return at > now ? at - 60 * settings.frequentPeriod : at
    }
    case "hourly": {
      const at = utc(year, month, day, hour, settings.hourlyMin)
      return at > now ? at - 3600 : at
    }
    case "daily": {
      const at = utc(year, month, day, settings.dailyHour, settings.dailyMin)
      return at > now ? at - DAY : at
    }
    case "weekly": {
      const offset = (settings.weeklyWday - wday + (settings.weeklyWday < wday ? 7 : 0)) * DAY
      const at = utc(year, month, day, settings.weeklyHour, settings.weeklyMin) + offset
      return at > now ? at - 7 * DAY : at
    }
    case "monthly": {
      const at = utc(year, month, settings.monthlyMday, settings.monthlyHour, settings.monthlyMin)
      return at > now ? at - 31 * DAY : at
    }
    case "yearly": {
      const at = utc(year, settings.yearlyMon - 1, settings.yearlyMday, settings.yearlyHour, settings.yearlyMin)
      return at > now ? utc(year - 1, settings.yearlyMon - 1, settings.yearlyMday, settings.yearlyHour, settings.yearlyMin) : at
    }
  }
}

/** sanoid's order when it takes several periods at once. */
const TAKE_ORDER: ReadonlyArray<Period> = ["yearly", "monthly", "weekly", "daily", "hourly", "frequently"]

/**
 * The snapshots to take now: for each dataset with autosnap on (not one an
 * ancestor's `zfs snapshot -r` covers) and each period with a count, one
 * when the period's newest snapshot is older than its last preferred time.
 */
export const dueSnapshots = (
  policies: ReadonlyMap<string, Resolved>,
  snapshots: ReadonlyArray<SnapshotRecord>,
  now: number
): Array<DueSnapshot> => {
  const newest = newestByPeriod(snapshots)
  const due: Array<DueSnapshot> = []
  for (const dataset of [...policies.keys()].sort()) {
    const policy = policies.get(dataset)!
    if (!policy.settings.autosnap || policy.inZfsRecursion) continue
    for (const period of TAKE_ORDER) {
      if (policy.settings[period] <= 0) continue
      const latest = newest.get(`${dataset}\u0000${period}`)
      if (latest === undefined || latest < lastPreferred(period, policy.settings, now)) {
        due.push({ dataset, snapshot: `${dataset}@${autosnapName(now, period)}`, period, recursive: policy.recursive === "zfs" })
      }
    }
  }
  return due
}

const newestByPeriod = (snapshots: ReadonlyArray<SnapshotRecord>): Map<string, number> => {
  const newest = new Map<string, number>()
  for (const snapshot of snapshots) {
    const period = periodOf(snapshot.snapshot)
    if (period === undefined || !isPeriod(period)) continue
    const key = `${snapshot.dataset}\u0000${period}`
    const seen = newest.get(key)
    if (seen === undefined || snapshot.creation > seen) newest.set(key, snapshot.creation)
  }
  return newest
}

/** A number without a unit is in the next smaller period's unit (sanoid's convertTimePeriod). */
const SMALLER_UNIT: Readonly<Record<Period, number>> = {
  frequently: 1,
  hourly: 60,
  daily: 3600,
  weekly: DAY,
  monthly: 7 * DAY,
  yearly: 31 * DAY
}
const UNIT: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: DAY, w: 7 * DAY, y: 31 * 365 * DAY }

export const ageSeconds = (text: string, period: Period): number => {
  const match = /^(\d+)([smhdwy]?)$/i.exec(text)
  if (match === null) return 1
  const unit = match[2] === "" ? SMALLER_UNIT[period] : UNIT[match[2]!.toLowerCase()]!
  return Number(match[1]) * unit
}

/**
 * Periods whose newest snapshot is too old (sanoid's --monitor-snapshots):
 * critical past `…Crit` or when there is none at all, a warning past `…Warn`;
 * an age of 0 turns that level off.
 */
export const ageWarnings = (
  policies: ReadonlyMap<string, Resolved>,
  snapshots: ReadonlyArray<SnapshotRecord>,
  now: number
): Array<AgeWarning> => {
  const newest = newestByPeriod(snapshots)
  const warnings: Array<AgeWarning> = []
  for (const dataset of [...policies.keys()].sort()) {
    const { settings } = policies.get(dataset)!
    if (!settings.monitor) continue
    for (const period of [...TAKE_ORDER]) {
      if (settings[period] === 0) continue
      const warn = ageSeconds(settings[`${period}Warn`], period)
      const crit = ageSeconds(settings[`${period}Crit`], period)
      const latest = newest.get(`${dataset}\u0000${period}`)
      const age = latest === undefined ? null : now - latest
      if (age === null || age > crit) {
        if (crit > 0) {
          warnings.push({
            dataset,
            period,
            level: "crit",
            ageSeconds: age,
            limitSeconds: crit,
            text: age === null
              ? `${dataset} has no ${period} snapshots at all`
              : `${dataset}: newest ${period} snapshot is ${describeSeconds(age)} old (should be under ${describeSeconds(crit)})`
          })
        }
      } else if (age > warn && warn > 0) {
        warnings.push({
          dataset,
          period,
          level: "warn",
          ageSeconds: age,
          limitSeconds: warn,
          text: `${dataset}: newest ${period} snapshot is ${describeSeconds(age)} old (should be under ${describeSeconds(warn)})`
        })
      }
    }
  }
  return warnings
}
