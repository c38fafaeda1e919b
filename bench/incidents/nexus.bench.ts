/**
 * NEXUS on seeded storage cascades mixed with unrelated noise
 * (test/support/nexusCascades.ts): grouping precision and recall (pairwise,
 * against the true group of each alert) and notifications sent, against two
 * anchors on the same alerts in the same run: raw alerts (one notification
 * each, what the agents' Alert events are without NEXUS) and
 * Alertmanager-style grouping by subject (group_by: [subject], the same
 * group_wait/group_interval, a group resolved by its subject's recovery or
 * Alertmanager's default resolve_timeout of 5 min without a new alert).
 */
import { defaultNexusConfig } from "../../src/actors/nexus/config.ts"
import type { Settings } from "../../src/actors/nexus/correlate.ts"
import { pairwise, scenario, simulate, type Timed } from "../../test/support/nexusCascades.ts"
import { now, round } from "../support.ts"

/** Alertmanager's resolve_timeout: an alert not raised again within it is resolved. */
const AM_RESOLVE_TIMEOUT_MS = 300_000

/**
 * Alertmanager with group_by: [subject]: a group per subject, open until an
 * info alert for the subject or resolve_timeout without a new alert.
 */
const bySubject = (events: ReadonlyArray<Timed>, settings: Settings) => {
  interface Group { readonly id: string; readonly times: Array<number>; closedAt?: number }
  const groups: Array<Group> = []
  const current = new Map<string, Group>()
  const placed: Array<{ truth: string; group: string }> = []
  for (const e of events) {
    const key = e.alert.subject
    if (e.alert.severity === "info") {
      const g = current.get(key)
      if (g !== undefined) g.closedAt = e.at
      current.delete(key)
      continue
    }
    let g = current.get(key)
    if (g !== undefined && e.at - g.times[g.times.length - 1]! > AM_RESOLVE_TIMEOUT_MS) {
      g.closedAt = g.times[g.times.length - 1]! + AM_RESOLVE_TIMEOUT_MS
      g = undefined
    }
    if (g === undefined) {
      g = { id: `g${groups.length}`, times: [] }
      groups.push(g)
      current.set(key, g)
    }
    g.times.push(e.at)
    if (e.truth !== undefined) placed.push({ truth: e.truth, group: g.id })
  }
  let notifications = 0
  for (const g of groups) {
    g.closedAt ??= g.times[g.times.length - 1]! + AM_RESOLVE_TIMEOUT_MS
    const end = g.closedAt
    let last = g.times[0]! + settings.groupWaitMs
    if (last >= end) continue
    notifications++ // opened
    for (;;) {
      const next = g.times.find((t) => t > last)
      if (next === undefined) break
      const at = Math.max(next, last + settings.groupIntervalMs)
      if (at >= end) break
      notifications++
      last = at
    }
    notifications++ // resolved
  }
  return { notifications, ...pairwise(placed) }
}

export const nexus = async () => {
  const settings = defaultNexusConfig
  const seeds = [1, 2, 3]
  const runs = seeds.map((seed) => {
    const sc = scenario(seed, { pools: 4, datasetsPerPool: 16, cascades: 30, noise: 10 })
    const t0 = now()
    const sim = simulate(sc, settings)
    const ms = now() - t0
    const alerts = sim.placed.filter((p) => p.event.truth !== undefined && p.incident !== undefined && p.outcome !== "recovered")
    const quality = pairwise(alerts.map((p) => ({ truth: p.event.truth!, group: p.incident! })))
    const anchor = bySubject(sc.events, settings)
    return {
      seed,
      rawAlerts: sc.events.length,
      incidents: sim.state.incidents.filter((i) => i.mergedInto === undefined).length,
      truthGroups: sc.cascades + sc.noise,
      nexusNotifications: sim.notices.length,
      bySubjectNotifications: anchor.notifications,
      precision: round(quality.precision, 4),
      recall: round(quality.recall, 4),
      bySubjectPrecision: round(anchor.precision, 4),
      bySubjectRecall: round(anchor.recall, 4),
      alertsPerSecond: Math.round(sc.events.length / (ms / 1000))
    }
  })
  // Harder: a cascade every 10 min in the next of 8 pools, while the earlier ones (30-60 min each) are still open.
  const dense = seeds.map((seed) => {
    const sc = scenario(seed, { pools: 8, datasetsPerPool: 16, cascades: 30, noise: 10, spacingMs: 600_000, roundRobin: true, recoverMs: 1_800_000 })
    const sim = simulate(sc, settings)
    const alerts = sim.placed.filter((p) => p.event.truth !== undefined && p.incident !== undefined && p.outcome !== "recovered")
    const quality = pairwise(alerts.map((p) => ({ truth: p.event.truth!, group: p.incident! })))
    return { seed, precision: round(quality.precision, 4), recall: round(quality.recall, 4), rawAlerts: sc.events.length, nexusNotifications: sim.notices.length }
  })
  const sum = (f: (r: (typeof runs)[number]) => number) => runs.reduce((s, r) => s + f(r), 0)
  const min = (f: (r: (typeof runs)[number]) => number) => Math.min(...runs.map(f))
  const raw = sum((r) => r.rawAlerts)
  const nexusSent = sum((r) => r.nexusNotifications)
  const amSent = sum((r) => r.bySubjectNotifications)
  return {
    what: "NEXUS on 3 seeded mixes (30 disk-failure cascades on 4 pools of 16 datasets and shares each, 10 noise problems, recoveries): " +
      "pairwise grouping precision/recall and notifications, against raw alerts (one notification each) and Alertmanager-style group_by subject (same group_wait/interval, its resolve_timeout of 5 min)",
    runs,
    precision: min((r) => r.precision),
    recall: min((r) => r.recall),
    goal: "precision >= 0.95, recall >= 0.9, >= 10x fewer notifications than raw alerts",
    notificationsRaw: raw,
    notificationsBySubject: amSent,
    notificationsNexus: nexusSent,
    ratio: round(raw / nexusSent, 1),
    ratioMeaning: "raw alerts per NEXUS notification (higher: fewer notifications)",
    ratioBySubject: round(amSent / nexusSent, 1),
    ratioBySubjectMeaning: "Alertmanager-by-subject notifications per NEXUS notification",
    bySubjectPrecision: min((r) => r.bySubjectPrecision),
    bySubjectRecall: min((r) => r.bySubjectRecall),
    dense: {
      what: "a cascade every 10 min, each in the next of 8 pools, up to 6 open at once, with the same noise (two failures in one pool within the window would be one incident, by design)",
      runs: dense
    },
    meetsGoal: min((r) => r.precision) >= 0.95 && min((r) => r.recall) >= 0.9 && raw / nexusSent >= 10
  }
}
