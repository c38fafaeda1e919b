/**
 * HELIX's retention engine on its own: the reasons it gives, how policies
 * resolve (defaults, the "default" template, templates in order, own
 * settings, recursion), when snapshots are due, age warnings — and, as
 * properties over random histories, what must always hold: held snapshots
 * are never pruned nor counted, the newest `count` of a period are always
 * kept, a second pass prunes nothing more, only autosnap snapshots go.
 */
import { describe, expect, it } from "vitest"
import * as fc from "fast-check"
import { type Period, PERIODS, type Policies, type PolicySettings } from "../../../src/actors/helix/messages.ts"
import {
  ageWarnings,
  autosnapName,
  DEFAULT_SETTINGS,
  dueSnapshots,
  lastPreferred,
  periodOf,
  periodSeconds,
  resolvePolicies,
  retention,
  type SnapshotRecord,
  stamp
} from "../../../src/actors/helix/policy.ts"

const DAY = 86_400
const NOW = Date.UTC(2026, 11, 7, 14, 30, 0) / 1000 // Monday 2026-12-07 14:30:00 UTC

const only = (settings: PolicySettings, templates: Policies["templates"] = {}): Policies => ({ templates, datasets: { "tank/photos": { settings } } })
const daily = (daysAgo: number, dataset = "tank/photos"): SnapshotRecord => {
  const creation = NOW - daysAgo * DAY - 60
  return { dataset, snapshot: autosnapName(creation, "daily"), creation }
}

describe("retention reasons", () => {
  it("says, for each snapshot, its rank, the count and the age that decide", () => {
    const policies = resolvePolicies(only({ daily: 6, hourly: 0, monthly: 0 }), [])
    const history = [0, 1, 2, 3, 4, 5, 6, 7].map((d) => daily(d))
    const decisions = retention(policies, history, NOW)
    expect(decisions.map((d) => [d.action, d.reason])).toEqual([
      ["prune", "8th newest daily beyond daily=6, and 7 days old, older than 6 × 1 day"],
      ["prune", "7th newest daily beyond daily=6, and 6 days old, older than 6 × 1 day"],
      ["keep", "6th newest daily, within daily=6"],
      ["keep", "5th newest daily, within daily=6"],
      ["keep", "4th newest daily, within daily=6"],
      ["keep", "3rd newest daily, within daily=6"],
      ["keep", "2nd newest daily, within daily=6"],
      ["keep", "1st newest daily, within daily=6"]
    ])
  })

  it("keeps a snapshot beyond the count while it is younger than count × period (sanoid's 'daily=30 means 30 days')", () => {
    const policies = resolvePolicies(only({ hourly: 2, daily: 0, monthly: 0 }), [])
    const hourly = (minutesAgo: number): SnapshotRecord => ({ dataset: "tank/photos", snapshot: autosnapName(NOW - minutesAgo * 60, "hourly"), creation: NOW - minutesAgo * 60 })
    const decisions = retention(policies, [hourly(150), hourly(90), hourly(30), hourly(10)], NOW)
    expect(decisions.map((d) => d.action)).toEqual(["prune", "keep", "keep", "keep"])
    expect(decisions[1]!.reason).toBe("3rd newest hourly, beyond hourly=2, but 1.5 hours old, not older than 2 × 1 hour")
  })

  it("leaves other snapshots alone, says autoprune is off, and never prunes a held snapshot nor counts it", () => {
    const policies = resolvePolicies(only({ daily: 1, hourly: 0, monthly: 0 }), [])
    const history = [daily(5), daily(4), daily(3), { dataset: "tank/photos", snapshot: "before-upgrade", creation: NOW - 9 * DAY }, daily(0)]
    const held = new Map([[`tank/photos@${history[0]!.snapshot}`, "held (sigmavault-replication)"]])
    const decisions = retention(policies, history, NOW, held)
    expect(decisions.map((d) => [d.snapshot.split("@")[1], d.action])).toEqual([
      ["before-upgrade", "keep"],
      [history[0]!.snapshot, "keep"],
      [history[1]!.snapshot, "prune"],
      [history[2]!.snapshot, "prune"],
      [history[4]!.snapshot, "keep"]
    ])
    expect(decisions[0]!.reason).toBe("not an autosnap_…ly snapshot: retention leaves it alone")
    expect(decisions[1]!.reason).toBe("held (sigmavault-replication): never pruned, and not counted against the policy's counts")
    expect(decisions[2]!.reason).toBe("3rd newest daily beyond daily=1, and 4 days old, older than 1 × 1 day")
    const off = retention(resolvePolicies(only({ daily: 1, autoprune: false }), []), history, NOW)
    expect(off.filter((d) => d.action === "prune")).toEqual([])
    expect(off[1]!.reason).toBe("autoprune is off for tank/photos")
  })

  it("reads the period from a name as sanoid does", () => {
    expect(periodOf("autosnap_2026-12-07_14:00:00_hourly")).toBe("hourly")
    expect(periodOf("autosnap_2026-03-29_02:00:00dst_hourly")).toBe("hourly")
    expect(periodOf("autosnapper_1_daily")).toBe("daily")
    expect(periodOf("autosnap_x_frequently.bakly")).toBe("frequently")
    expect(periodOf("autosnap_1-hourly")).toBe("")
    expect(periodOf("autosnap_2026-12-07_14:00:00_hourly.bak")).toBeUndefined()
    expect(periodOf("zfs-auto-snap_hourly-2026-12-07-1400")).toBeUndefined()
    expect(periodOf("manual_hourly")).toBeUndefined()
  })
})

describe("policies", () => {
  it("resolve from sanoid's defaults, the 'default' template, the dataset's templates in order, then its own settings", () => {
    const policies: Policies = {
      templates: { default: { hourly: 24, daily: 7 }, production: { daily: 30, monthly: 3 }, backup: { monthly: 12, autosnap: false } },
      datasets: { "tank/db": { templates: ["production", "backup"], settings: { yearly: 1 } }, tank: { recursive: "zfs" }, "tank/media": { recursive: true, settings: { hourly: 0 } } }
    }
    const resolved = resolvePolicies(policies, ["tank", "tank/db", "tank/db/logs", "tank/media", "tank/media/photos", "tank/media/photos/2026", "tank/other"])
    const db = resolved.get("tank/db")!
    expect([db.settings.hourly, db.settings.daily, db.settings.monthly, db.settings.yearly, db.settings.autosnap, db.settings.weekly]).toEqual([24, 30, 12, 1, false, 0])
    // tank/db has its own policy, not recursive: its child inherits from tank's `recursive = zfs`.
    expect(resolved.get("tank/db/logs")!.from).toBe("tank")
    expect(resolved.get("tank/db/logs")!.inZfsRecursion).toBe(true)
    // The nearest recursive ancestor wins.
    expect(resolved.get("tank/media/photos/2026")!.from).toBe("tank/media")
    expect(resolved.get("tank/media/photos/2026")!.settings.hourly).toBe(0)
    expect(resolved.get("tank/other")!.from).toBe("tank")
    expect(resolvePolicies({ templates: {}, datasets: { x: {} } }, []).get("x")!.settings).toEqual(DEFAULT_SETTINGS)
  })
})

describe("snapshots due", () => {
  it("takes each period's snapshot once its newest is older than the last preferred time, named as sanoid names them", () => {
    const policies = resolvePolicies(only({ frequently: 4, hourly: 48, daily: 30, weekly: 4, monthly: 6, yearly: 1 }), [])
    const all = dueSnapshots(policies, [], NOW)
    expect(all.map((d) => d.snapshot)).toEqual(["yearly", "monthly", "weekly", "daily", "hourly", "frequently"].map((p) => `tank/photos@autosnap_2026-12-07_14:30:00_${p}`))
    // An hourly taken at 14:00 (hourly_min 0) covers this hour; a frequent one at 14:30 covers the 14:30 slice.
    const covered: Array<SnapshotRecord> = [
      { dataset: "tank/photos", snapshot: autosnapName(NOW - 1800, "hourly"), creation: NOW - 1800 },
      { dataset: "tank/photos", snapshot: autosnapName(NOW, "frequently"), creation: NOW }
    ]
    expect(dueSnapshots(policies, covered, NOW).map((d) => d.period)).toEqual(["yearly", "monthly", "weekly", "daily"])
  })

  it("computes the last preferred times in UTC", () => {
    const s = DEFAULT_SETTINGS
    const iso = (period: Period, settings = s) => new Date(lastPreferred(period, settings, NOW) * 1000).toISOString()
    expect(iso("hourly")).toBe("2026-12-07T14:00:00.000Z")
    expect(iso("frequently")).toBe("2026-12-07T14:30:00.000Z")
    expect(iso("daily")).toBe("2026-12-06T23:59:00.000Z")
    expect(iso("weekly")).toBe("2026-11-30T23:30:00.000Z") // Mondays 23:30; today's is still ahead
    expect(iso("monthly")).toBe("2026-12-01T00:00:00.000Z")
    expect(iso("yearly")).toBe("2026-01-01T00:00:00.000Z")
    expect(iso("yearly", { ...s, yearlyMon: 12, yearlyMday: 25 })).toBe("2025-12-25T00:00:00.000Z")
    expect(stamp(NOW)).toBe("2026-12-07_14:30:00")
  })
})

describe("age warnings", () => {
  it("warn past …Warn, are critical past …Crit or when there is none at all", () => {
    const policies = resolvePolicies(only({ hourly: 48, daily: 30, monthly: 0 }), [])
    const hourly = { dataset: "tank/photos", snapshot: autosnapName(NOW - 2 * 3600, "hourly"), creation: NOW - 2 * 3600 }
    expect(ageWarnings(policies, [hourly], NOW).map((w) => [w.period, w.level, w.text])).toEqual([
      ["daily", "crit", "tank/photos has no daily snapshots at all"],
      ["hourly", "warn", "tank/photos: newest hourly snapshot is 2 hours old (should be under 1.5 hours)"]
    ])
    expect(ageWarnings(resolvePolicies(only({ hourly: 48, daily: 0, monthly: 0, monitor: false }), []), [], NOW)).toEqual([])
  })
})

// ---- properties over random histories ---------------------------------------

const arbitraryHistory = fc.array(
  fc.record({
    period: fc.constantFrom(...PERIODS),
    age: fc.integer({ min: -DAY, max: 3 * 365 * DAY }),
    kind: fc.constantFrom("autosnap", "autosnap", "autosnap", "manual")
  }),
  { maxLength: 80 }
).map((items) => {
  const seen = new Set<number>()
  return items.flatMap(({ period, age, kind }): Array<SnapshotRecord> => {
    const creation = NOW - age
    if (seen.has(creation)) return []
    seen.add(creation)
    return [{ dataset: "tank/photos", snapshot: kind === "autosnap" ? autosnapName(creation, period) : `manual-${creation}`, creation }]
  })
})

const arbitrarySettings = fc.record({
  frequently: fc.integer({ min: 0, max: 6 }),
  hourly: fc.integer({ min: 0, max: 48 }),
  daily: fc.integer({ min: 0, max: 30 }),
  weekly: fc.integer({ min: 0, max: 8 }),
  monthly: fc.integer({ min: 0, max: 12 }),
  yearly: fc.integer({ min: 0, max: 3 }),
  frequentPeriod: fc.constantFrom(1, 5, 15, 30, 60)
})

describe("retention properties", () => {
  it("one decision with a reason for every snapshot; held ones kept; the newest `count` of each period kept; pruned ones old and beyond the count", () => {
    fc.assert(fc.property(arbitraryHistory, arbitrarySettings, fc.double({ min: 0, max: 1, noNaN: true }), (history, settings, heldShare) => {
      const policies = resolvePolicies(only(settings), [])
      const held = new Map(history.filter((_, i) => i < history.length * heldShare * 0.3).map((s) => [`${s.dataset}@${s.snapshot}`, "held"]))
      const decisions = retention(policies, history, NOW, held)
      expect(decisions.length).toBe(history.length)
      for (const d of decisions) expect(d.reason.length).toBeGreaterThan(0)
      const pruned = new Set(decisions.filter((d) => d.action === "prune").map((d) => d.snapshot))
      for (const name of held.keys()) expect(pruned.has(name)).toBe(false)
      const resolved = policies.get("tank/photos")!.settings
      for (const period of PERIODS) {
        const free = history.filter((s) => periodOf(s.snapshot) === period && !held.has(`${s.dataset}@${s.snapshot}`)).sort((a, b) => b.creation - a.creation)
        free.forEach((s, index) => {
          const gone = pruned.has(`${s.dataset}@${s.snapshot}`)
          const beyond = index + 1 > resolved[period]
          const old = s.creation < NOW - resolved[period] * periodSeconds(period, resolved)
          expect(gone).toBe(beyond && old)
        })
      }
      for (const s of history) if (!s.snapshot.startsWith("autosnap")) expect(pruned.has(`${s.dataset}@${s.snapshot}`)).toBe(false)
      // A second pass over what is left prunes nothing more.
      const left = history.filter((s) => !pruned.has(`${s.dataset}@${s.snapshot}`))
      expect(retention(policies, left, NOW, held).filter((d) => d.action === "prune")).toEqual([])
    }))
  })

  it("never prunes with autoprune off, and nothing of a dataset no policy covers", () => {
    fc.assert(fc.property(arbitraryHistory, arbitrarySettings, (history, settings) => {
      const off = retention(resolvePolicies(only({ ...settings, autoprune: false }), []), history, NOW)
      expect(off.every((d) => d.action === "keep")).toBe(true)
      const elsewhere = retention(resolvePolicies({ templates: {}, datasets: { "tank/other": { settings } } }, []), history, NOW)
      expect(elsewhere).toEqual([])
    }))
  })

  it("a snapshot due is never one the history already has, and taking it makes that period not due", () => {
    fc.assert(fc.property(arbitraryHistory, arbitrarySettings, (history, settings) => {
      const policies = resolvePolicies(only(settings), [])
      const due = dueSnapshots(policies, history, NOW)
      const after = [...history, ...due.map((d) => ({ dataset: d.dataset, snapshot: d.snapshot.split("@")[1]!, creation: NOW }))]
      expect(dueSnapshots(policies, after, NOW)).toEqual([])
      for (const d of due) expect(d.snapshot).toMatch(/^tank\/photos@autosnap_\d{4}-\d\d-\d\d_\d\d:\d\d:\d\d_(frequently|hourly|daily|weekly|monthly|yearly)$/)
    }))
  })
})
