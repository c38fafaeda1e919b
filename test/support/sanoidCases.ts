/**
 * Random sanoid cases for the retention differential (and its benchmark): a
 * sanoid.conf and a `zfs get -Hrpt snapshot creation` answer, and the same
 * policies and history as HELIX reads them. See
 * test/actors/helix/sanoid-differential.test.ts for what is varied and why.
 */
import { DEFAULT_TEMPLATE, type SnapshotRecord, stamp } from "../../src/actors/helix/policy.ts"
import { type Period, PERIODS, type Policies, type PolicySettings } from "../../src/actors/helix/messages.ts"

const DAY = 86_400

/** mulberry32: small, seeded, good enough to spread cases. */
const prng = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Random = () => number
const int = (r: Random, min: number, max: number) => min + Math.floor(r() * (max - min + 1))
const pick = <A>(r: Random, items: ReadonlyArray<A>): A => items[Math.floor(r() * items.length)]!
const chance = (r: Random, p: number) => r() < p

const TRUE_WORDS = ["1", "yes", "Yes", "YES", "true", "True", "on", "ON"]
const FALSE_WORDS = ["0", "no", "No", "false", "FALSE", "off", "Off"]

/** sanoid.conf key of each HELIX setting. */
const KEY: Readonly<Record<keyof PolicySettings, string>> = {
  frequently: "frequently",
  hourly: "hourly",
  daily: "daily",
  weekly: "weekly",
  monthly: "monthly",
  yearly: "yearly",
  frequentPeriod: "frequent_period",
  autosnap: "autosnap",
  autoprune: "autoprune",
  hourlyMin: "hourly_min",
  dailyHour: "daily_hour",
  dailyMin: "daily_min",
  weeklyWday: "weekly_wday",
  weeklyHour: "weekly_hour",
  weeklyMin: "weekly_min",
  monthlyMday: "monthly_mday",
  monthlyHour: "monthly_hour",
  monthlyMin: "monthly_min",
  yearlyMon: "yearly_mon",
  yearlyMday: "yearly_mday",
  yearlyHour: "yearly_hour",
  yearlyMin: "yearly_min",
  monitor: "monitor",
  frequentlyWarn: "frequently_warn",
  frequentlyCrit: "frequently_crit",
  hourlyWarn: "hourly_warn",
  hourlyCrit: "hourly_crit",
  dailyWarn: "daily_warn",
  dailyCrit: "daily_crit",
  weeklyWarn: "weekly_warn",
  weeklyCrit: "weekly_crit",
  monthlyWarn: "monthly_warn",
  monthlyCrit: "monthly_crit",
  yearlyWarn: "yearly_warn",
  yearlyCrit: "yearly_crit"
}

const MAX_COUNT: Readonly<Record<Period, number>> = { frequently: 8, hourly: 60, daily: 40, weekly: 10, monthly: 14, yearly: 3 }

/** Random settings: each one present or not; the conf text says booleans in any of sanoid's words. */
const randomSettings = (r: Random, density: number): PolicySettings => {
  const s: Record<string, unknown> = {}
  for (const period of PERIODS) if (chance(r, density)) s[period] = chance(r, 0.12) ? 0 : int(r, 0, MAX_COUNT[period])
  if (chance(r, density * 0.6)) s.frequentPeriod = pick(r, [1, 5, 7, 10, 15, 20, 30, 45, 60, 90])
  if (chance(r, density * 0.5)) s.autoprune = chance(r, 0.75)
  if (chance(r, density * 0.5)) s.autosnap = chance(r, 0.8)
  if (chance(r, density * 0.3)) s.hourlyMin = int(r, 0, 59)
  if (chance(r, density * 0.3)) s.dailyHour = int(r, 0, 23)
  if (chance(r, density * 0.3)) s.dailyMin = int(r, 0, 59)
  if (chance(r, density * 0.3)) s.weeklyWday = int(r, 0, 6)
  if (chance(r, density * 0.3)) s.weeklyHour = int(r, 0, 23)
  if (chance(r, density * 0.3)) s.weeklyMin = int(r, 0, 59)
  if (chance(r, density * 0.3)) s.monthlyMday = int(r, 1, 28)
  if (chance(r, density * 0.3)) s.monthlyHour = int(r, 0, 23)
  if (chance(r, density * 0.3)) s.monthlyMin = int(r, 0, 59)
  if (chance(r, density * 0.3)) s.yearlyMon = int(r, 1, 12)
  if (chance(r, density * 0.3)) s.yearlyMday = int(r, 1, 28)
  if (chance(r, density * 0.3)) s.yearlyHour = int(r, 0, 23)
  if (chance(r, density * 0.3)) s.yearlyMin = int(r, 0, 59)
  if (chance(r, density * 0.2)) s.monitor = chance(r, 0.8)
  for (const period of PERIODS) {
    for (const level of ["Warn", "Crit"] as const) {
      if (chance(r, density * 0.15)) s[`${period}${level}`] = chance(r, 0.15) ? "0" : `${int(r, 1, 60)}${pick(r, ["", "s", "m", "h", "d", "w"])}`
    }
  }
  return s as PolicySettings
}

const confValue = (r: Random, value: unknown): string =>
  typeof value === "boolean" ? pick(r, value ? TRUE_WORDS : FALSE_WORDS) : String(value)

const section = (r: Random, name: string, settings: PolicySettings, extra: ReadonlyArray<string> = []) =>
  [`[${name}]`, ...extra, ...Object.entries(settings).map(([k, v]) => `\t${KEY[k as keyof PolicySettings]} = ${confValue(r, v)}`)].join("\n")

/** Period lengths as sanoid prunes with them, for placing snapshots around the boundaries. */
const lengthOf = (period: Period, frequentPeriod: number) =>
  ({ frequently: 60 * frequentPeriod, hourly: 3600, daily: DAY, weekly: 7 * DAY, monthly: 31 * DAY, yearly: 365.25 * DAY })[period]

export interface Case {
  readonly conf: string
  readonly history: string
  readonly datasets: ReadonlyArray<string>
  readonly policies: Policies
  readonly snapshots: ReadonlyArray<SnapshotRecord>
  readonly now: number
  readonly histories: number
}

export const generate = (seed: number, run: number, datasetsPerRun: number): Case => {
  const r = prng(seed * 1000 + run)
  const now = int(r, Date.UTC(2025, 0, 1) / 1000, Date.UTC(2027, 0, 1) / 1000)
  const pool = `p${run}`
  const conf: Array<string> = []
  const policies: { templates: Record<string, PolicySettings>; datasets: Record<string, Policies["datasets"][string]> } = { templates: {}, datasets: {} }
  const templateNames = ["t0", "t1", "t2", "t3", "t4"]
  for (const name of templateNames) {
    const settings = randomSettings(r, 0.5)
    policies.templates[name] = settings
    conf.push(section(r, `template_${name}`, settings))
  }
  if (chance(r, 0.4)) {
    // A user-defined [template_default]: HELIX's "default" template.
    const settings = randomSettings(r, 0.3)
    policies.templates[DEFAULT_TEMPLATE] = settings
    conf.push(section(r, "template_default", settings))
  }
  const datasets: Array<string> = []
  const snapshots: Array<SnapshotRecord> = []
  const history: Array<string> = []
  let histories = 0
  for (let i = 0; i < datasetsPerRun; i++) {
    const dataset = `${pool}/d${i}`
    datasets.push(dataset)
    const children: Array<string> = []
    const hasPolicy = chance(r, 0.92)
    let counts: PolicySettings = {}
    if (hasPolicy) {
      const templates = Array.from({ length: int(r, 0, 2) }, () => pick(r, templateNames))
      const settings = randomSettings(r, 0.6)
      // Recursive parents with many children: each child is a history of its own, and each parent costs sanoid a `zfs list`.
      const recursive = chance(r, 0.15) ? pick(r, ["yes", "zfs"] as const) : undefined
      if (recursive !== undefined) {
        for (let c = 0; c < int(r, 1, 7); c++) {
          children.push(`${dataset}/c${c}`)
          if (chance(r, 0.3)) children.push(`${dataset}/c${c}/g0`)
        }
      }
      policies.datasets[dataset] = {
        ...(templates.length === 0 ? {} : { templates }),
        ...(recursive === undefined ? {} : { recursive: recursive === "zfs" ? "zfs" : true }),
        settings
      }
      const extra = [
        ...(templates.length === 0 ? [] : [`\tuse_template = ${templates.join(pick(r, [",", ", ", " , "]))}`]),
        ...(recursive === undefined ? [] : [`\trecursive = ${recursive === "zfs" ? "zfs" : pick(r, TRUE_WORDS)}`])
      ]
      conf.push(section(r, dataset, settings, extra))
      counts = { ...settings }
    }
    datasets.push(...children)
    for (const name of [dataset, ...children]) {
      histories++
      const used = new Set<number>()
      const at = (creation: number) => {
        // ZFS has no snapshot from before 1970 (sanoid's `(\d*)` would read a negative time as 0); 2001 on.
        let c = Math.max(1_000_000_000, Math.round(creation))
        while (used.has(c)) c++
        used.add(c)
        return c
      }
      const frequentPeriod = (counts.frequentPeriod as number | undefined) ?? 15
      for (let n = int(r, 0, 45); n > 0; n--) {
        const kind = r()
        let label: string
        let creation: number
        const period = pick(r, PERIODS)
        const count = (counts[period] as number | undefined) ?? pick(r, [0, 2, 6, 48, 90])
        const length = lengthOf(period, frequentPeriod)
        const spread = r()
        if (spread < 0.25) creation = at(now - count * length + int(r, -3, 3)) // on the age boundary
        else if (spread < 0.7) creation = at(now - r() * (count + 3) * length)
        else if (spread < 0.97) creation = at(now - r() * 4 * 365 * DAY)
        else creation = at(now + int(r, 1, 5 * DAY)) // from the future (a clock set back)
        if (kind < 0.86) label = `autosnap_${stamp(creation)}_${period}`
        else if (kind < 0.89) label = `autosnap_${stamp(creation)}dst_${period}` // sanoid's DST twin
        else if (kind < 0.91) label = `autosnap_${stamp(creation)}_${pick(r, ["weirdly", "only", "dailyly"])}`
        else if (kind < 0.93) label = `autosnapper_${creation}_${period}` // "autosnap" is only a prefix to sanoid
        else if (kind < 0.95) label = `autosnap_${creation}-${period}` // no '_' before the period: no period
        else if (kind < 0.97) label = `autosnap_x${creation}_${period}.bak${pick(r, ["", "ly"])}`
        else label = `${pick(r, ["manual", "syncoid_host", "zfs-auto-snap_hourly"])}_${creation}`
        snapshots.push({ dataset: name, snapshot: label, creation })
        history.push(`${name}@${label}\tcreation\t${creation}\t-`)
      }
    }
  }
  // A snapshot of a dataset no policy covers, and a policy for a dataset that does not exist.
  history.push(`${pool}/orphan@autosnap_${stamp(now - 100 * DAY)}_daily\tcreation\t${now - 100 * DAY}\t-`)
  snapshots.push({ dataset: `${pool}/orphan`, snapshot: `autosnap_${stamp(now - 100 * DAY)}_daily`, creation: now - 100 * DAY })
  return {
    conf: conf.join("\n\n") + "\n",
    history: history.join("\n") + "\n",
    datasets: [...datasets].sort(),
    policies,
    snapshots,
    now,
    histories
  }
}
