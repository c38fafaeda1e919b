/**
 * HELIX's retention against sanoid itself (issue 18's main test). Random
 * policies (templates, a user [template_default], per-period counts, frequent
 * periods, autoprune and autosnap in sanoid's every spelling, `recursive =
 * yes|zfs` with children, warn/crit ages) and random histories (autosnap
 * snapshots of every period clustered around each period's age boundary,
 * sanoid's odd names, other snapshots, snapshots from the future) are written
 * as a sanoid.conf and a `zfs get -Hrpt snapshot creation` answer; sanoid 2.1
 * runs `--take-snapshots --prune-snapshots --readonly --verbose
 * --force-prune` (and `--monitor-snapshots`) over them at a fixed time, and
 * what it would destroy, take and warn about must be exactly what HELIX's
 * engine says — save the one documented difference (a yearly snapshot due
 * before this year's date: docs/snapshots.md).
 *
 * Each dataset is one history with its own policy; hundreds go in one sanoid
 * run. ≥ 10,000 of them in all. The seed is printed; SANOID_SEED=n replays.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ageWarnings, DEFAULT_TEMPLATE, dueSnapshots, lastPreferred, periodOf, resolvePolicies, retention, type SnapshotRecord, stamp } from "../../../src/actors/helix/policy.ts"
import { type Period, PERIODS, type Policies, type PolicySettings } from "../../../src/actors/helix/messages.ts"
import { sanoidSandbox, sanoidTools, type SanoidRun } from "../../support/sanoid.ts"

const RUNS = Number(process.env.SANOID_RUNS ?? 16)
/** Datasets with a section of their own per sanoid run (sanoid's cost grows with its sections); recursive ones add children. */
const DATASETS_PER_RUN = 400
/** sanoid's --monitor-snapshots exits after it reports, so it is a run of its own: on every MONITOR_EVERY-th case. */
const MONITOR_EVERY = 4
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

interface Case {
  readonly conf: string
  readonly history: string
  readonly datasets: ReadonlyArray<string>
  readonly policies: Policies
  readonly snapshots: ReadonlyArray<SnapshotRecord>
  readonly now: number
  readonly histories: number
}

const generate = (seed: number, run: number): Case => {
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
  for (let i = 0; i < DATASETS_PER_RUN; i++) {
    const dataset = `${pool}/d${i}`
    datasets.push(dataset)
    const children: Array<string> = []
    const hasPolicy = chance(r, 0.92)
    let counts: PolicySettings = {}
    if (hasPolicy) {
      const templates = Array.from({ length: int(r, 0, 2) }, () => pick(r, templateNames))
      const settings = randomSettings(r, 0.6)
      const recursive = chance(r, 0.3) ? pick(r, ["yes", "zfs"] as const) : undefined
      if (recursive !== undefined) {
        for (let c = 0; c < int(r, 1, 4); c++) {
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

const lines = (run: SanoidRun, pattern: RegExp) =>
  run.stdout.split("\n").flatMap((line) => {
    const m = pattern.exec(line)
    return m === null ? [] : [m[1]!]
  })

/** The newest snapshot of each dataset and period, as "dataset period" → creation. */
const newestOf = (snapshots: ReadonlyArray<SnapshotRecord>) => {
  const newest = new Map<string, { creation: number; period: string }>()
  for (const s of snapshots) {
    const period = periodOf(s.snapshot)
    if (period === undefined || period === "") continue
    const key = `${s.dataset} ${period}`
    if ((newest.get(key)?.creation ?? -Infinity) < s.creation) newest.set(key, { creation: s.creation, period })
  }
  return [...newest].map(([key, v]) => [key.split(" ")[0]!, v] as const)
}

const setDiff = (a: ReadonlySet<string>, b: ReadonlySet<string>) => [...a].filter((x) => !b.has(x)).sort()

/**
 * sanoid's "last preferred" yearly time before this year's date is 31 × 365.25
 * days back (`60*60*24*31*365.25`), not a year: HELIX takes the previous
 * year's date. The one deliberate difference in what is taken.
 */
const sanoidYearlyDue = (settings: ReturnType<typeof resolvePolicies> extends Map<string, infer R> ? R : never, newest: number | undefined, now: number) => {
  const s = settings.settings
  const year = new Date(now * 1000).getUTCFullYear()
  const at = Date.UTC(year, s.yearlyMon - 1, s.yearlyMday, s.yearlyHour, s.yearlyMin) / 1000
  const preferred = at > now ? at - 60 * 60 * 24 * 31 * 365.25 : at
  return newest === undefined || newest < preferred
}

describe("retention, against sanoid 2.1 itself", () => {
  const seed = Number(process.env.SANOID_SEED ?? Math.floor(Math.random() * 1_000_000))
  let sandbox: ReturnType<typeof sanoidSandbox>

  beforeAll(() => {
    sandbox = sanoidSandbox(sanoidTools())
  }, 180_000)
  afterAll(() => sandbox?.cleanup())

  it(`prunes, takes and warns exactly as sanoid does over ${RUNS * DATASETS_PER_RUN}+ random histories and policies (seed ${seed})`, async () => {
    let histories = 0
    let pruned = 0
    let kept = 0
    let taken = 0
    let warned = 0
    let yearlyDifferences = 0
    let monitorDifferences = 0
    const started = Date.now()
    const check = async (run: number) => {
      const c = generate(seed, run)
      if (process.env.SANOID_TIMING) console.log(`run ${run}: generated at ${Date.now() - started} ms`)
      histories += c.histories
      const pass = await sandbox.run({ ...c, args: ["--take-snapshots", "--prune-snapshots", "--readonly", "--verbose", "--force-prune"] })
      const monitor = run % MONITOR_EVERY === 0 ? await sandbox.run({ ...c, args: ["--monitor-snapshots"] }) : undefined
      if (process.env.SANOID_TIMING) console.log(`run ${run}: sanoid done at ${Date.now() - started} ms`)
      const context = `seed ${seed}, run ${run} (SANOID_SEED=${seed} replays it)`
      expect(pass.exitCode, `${context}: sanoid failed: ${pass.stderr}`).toBe(0)
      expect(pass.unexpected, `${context}: sanoid ran commands the stand-ins do not answer`).toEqual([])
      expect(new Set(pass.zfsCalls.map((call) => call.split(" ").slice(0, 2).join(" ")))).toEqual(
        new Set(["get -Hrpt", ...(pass.zfsCalls.some((call) => call.startsWith("list")) ? ["list -o"] : [])])
      )

      const resolved = resolvePolicies(c.policies, c.datasets)

      // ---- pruning
      const sanoidPruned = new Set(lines(pass, /^INFO: pruning (\S+) \.\.\. $/))
      const decisions = retention(resolved, c.snapshots, c.now)
      const helixPruned = new Set(decisions.filter((d) => d.action === "prune").map((d) => d.snapshot))
      const onlySanoid = setDiff(sanoidPruned, helixPruned)
      const onlyHelix = setDiff(helixPruned, sanoidPruned)
      const explain = (names: ReadonlyArray<string>) =>
        names.slice(0, 5).map((name) => {
          const dataset = name.slice(0, name.indexOf("@"))
          const d = decisions.find((x) => x.snapshot === name)
          return `${name} (${d?.reason ?? "no HELIX decision"}); policy ${JSON.stringify(resolved.get(dataset))}`
        }).join("\n")
      expect(onlySanoid, `${context}: sanoid prunes, HELIX keeps:\n${explain(onlySanoid)}`).toEqual([])
      expect(onlyHelix, `${context}: HELIX prunes, sanoid keeps:\n${explain(onlyHelix)}`).toEqual([])
      pruned += helixPruned.size
      kept += decisions.length - helixPruned.size
      for (const d of decisions) expect(d.reason, d.snapshot).not.toBe("")

      // ---- taking
      const sanoidTaken = new Set(lines(pass, /^taking snapshot (\S+(?: \(zfs recursive\))?)$/))
      const due = dueSnapshots(resolved, c.snapshots, c.now)
      const newestYearly = new Map<string, number>()
      for (const s of c.snapshots) {
        if (periodOf(s.snapshot) !== "yearly") continue
        newestYearly.set(s.dataset, Math.max(newestYearly.get(s.dataset) ?? -Infinity, s.creation))
      }
      const expected = new Set<string>()
      for (const d of due) if (d.period !== "yearly") expected.add(`${d.snapshot}${d.recursive ? " (zfs recursive)" : ""}`)
      for (const [dataset, policy] of resolved) {
        if (!policy.settings.autosnap || policy.inZfsRecursion || policy.settings.yearly <= 0) continue
        const helixDue = due.some((d) => d.dataset === dataset && d.period === "yearly")
        const sanoidDue = sanoidYearlyDue(policy, newestYearly.get(dataset), c.now)
        if (helixDue !== sanoidDue) {
          yearlyDifferences++
          // The documented difference, and only when this year's yearly time is still ahead.
          const year = new Date(c.now * 1000).getUTCFullYear()
          const s = policy.settings
          expect(Date.UTC(year, s.yearlyMon - 1, s.yearlyMday, s.yearlyHour, s.yearlyMin) / 1000).toBeGreaterThan(c.now)
          expect(lastPreferred("yearly", s, c.now)).toBeLessThan(c.now)
        }
        if (sanoidDue) expected.add(`${dataset}@autosnap_${stamp(c.now)}_yearly${policy.recursive === "zfs" ? " (zfs recursive)" : ""}`)
      }
      expect(setDiff(sanoidTaken, expected), `${context}: sanoid takes, HELIX does not`).toEqual([])
      expect(setDiff(expected, sanoidTaken), `${context}: HELIX takes, sanoid does not`).toEqual([])
      taken += sanoidTaken.size

      if (process.env.SANOID_TIMING) console.log(`run ${run}: prune and take checked at ${Date.now() - started} ms`)
      if (monitor === undefined) return
      // ---- age warnings (sanoid's --monitor-snapshots prints them on one line)
      expect(monitor.unexpected).toEqual([])
      const line = monitor.stdout.trim()
      const sanoidWarnings = new Set(
        line.startsWith("OK:") ? [] : line.split(/, (?=(?:WARN|CRIT): )/).map((m) => {
          const found = /^(WARN|CRIT): (\S+) (?:has no (\w+) snapshots at all!|newest (\w+) snapshot is)/.exec(m)
          expect(found, `${context}: a monitor message HELIX cannot read: ${m}`).not.toBeNull()
          return `${found![2]} ${found![3] ?? found![4]} ${found![1]!.toLowerCase()}`
        })
      )
      const helixWarnings = new Set(ageWarnings(resolved, c.snapshots, c.now).map((w) => `${w.dataset} ${w.period} ${w.level}`))
      const warningContext = (keys: ReadonlyArray<string>) =>
        keys.slice(0, 3).map((key) => {
          const dataset = key.split(" ")[0]!
          const own = c.snapshots.filter((s) => s.dataset === dataset).map((s) => `${s.snapshot}@${s.creation - c.now}`)
          return `${key}: ${JSON.stringify(resolved.get(dataset)?.settings)} ${own.join(" ")}\n${line.split(", ").filter((m) => m.includes(`${dataset} `)).join("; ")}`
        }).join("\n")
      // sanoid marks "no snapshot" with an age of -1: a newest snapshot exactly one second in the
      // future reads to it as none at all (critical). HELIX reads it as what it is (documented).
      const oneSecondAhead = new Set<string>()
      for (const [dataset, newest] of newestOf(c.snapshots)) if (newest.creation === c.now + 1) oneSecondAhead.add(`${dataset} ${newest.period}`)
      const deviation = (key: string) => oneSecondAhead.has(key.split(" ").slice(0, 2).join(" "))
      const sanoidOnly = setDiff(sanoidWarnings, helixWarnings)
      const helixOnly = setDiff(helixWarnings, sanoidWarnings)
      monitorDifferences += sanoidOnly.length + helixOnly.length
      expect(sanoidOnly.filter((k) => !deviation(k)), `${context}: sanoid warns, HELIX does not: ${warningContext(sanoidOnly)}`).toEqual([])
      expect(helixOnly.filter((k) => !deviation(k)), `${context}: HELIX warns, sanoid does not: ${warningContext(helixOnly)}`).toEqual([])
      expect(monitor.exitCode).toBe([...sanoidWarnings].some((w) => w.endsWith("crit")) ? 2 : sanoidWarnings.size > 0 ? 1 : 0)
      warned += helixWarnings.size
      if (process.env.SANOID_TIMING) console.log(`run ${run}: checked at ${Date.now() - started} ms`)
    }
    // Two sanoid runs at a time (one per core).
    for (let run = 0; run < RUNS; run += 2) await Promise.all([check(run), check(run + 1)])
    console.log(
      `sanoid differential (seed ${seed}): ${histories} histories with their policies, ${pruned} snapshots pruned and ${kept} kept as sanoid does, ` +
        `${taken} taken, ${warned} age warnings; ${yearlyDifferences} yearly snapshot(s) due differently and ${monitorDifferences} age warning(s) for a snapshot one second ahead (both documented)`
    )
    expect(histories).toBeGreaterThanOrEqual(10_000)
  }, 600_000)
})
