/**
 * NEXUS's model: alerts in, incidents and their notifications out. Pure and
 * synchronous (time is an argument), so the agent, the tests and the
 * benchmark run the very same rules (docs/incidents.md):
 *
 * - fingerprint = agent + the graph node the subject names + a normalised
 *   kind: the same problem raised twice is one alert, counted;
 * - an alert joins an open incident it is related to in the storage graph:
 *   it depends on the incident's root (always), the root depends on it (it is
 *   the cause: the incident is re-rooted at it, and other incidents it causes
 *   merge in), or it is a cause or effect of an alert already in it — the
 *   last two within `windowMs` of the incident's last change;
 * - an alert whose node depends on a critical alert's node in the incident is
 *   inhibited: it joins without a notification;
 * - an alert matching an active silence is counted, and goes nowhere;
 * - notifications: "opened" once, `groupWaitMs` after the first alert (an
 *   incident that resolves before then is never notified), "updated" at most
 *   every `groupIntervalMs` when something new joined or it got worse, and
 *   "resolved" when no alert in it is firing;
 * - an alert stops firing when its agent announces recovery (an info alert
 *   of the same agent, subject and kind), when it expires (`resolveTimeoutMs`
 *   without a re-raise, only for agents that never announce recovery), or
 *   with its cause (it depends on a cleared alert's node and on no firing
 *   one, and its agent does not announce recovery for it).
 */
import type { AlertSeverity, AlertView, Feed, IncidentSummary, SilenceView } from "./messages.ts"
import { dependsOn, entityOf, entityText, type Graph, kindOf, patternMatches, poolsOf } from "./subjects.ts"

export interface Settings {
  readonly groupWaitMs: number
  readonly groupIntervalMs: number
  /** 0: alerts of agents that never announce recovery never expire. */
  readonly resolveTimeoutMs: number
  readonly windowMs: number
  /** Distinct alerts kept per incident; more are counted. */
  readonly maxAlerts: number
  /** Incidents kept; the oldest resolved ones go first. */
  readonly kept: number
  readonly maxSilences: number
}

export interface AlertEntry {
  readonly fingerprint: string
  readonly agent: string
  readonly subject: string
  readonly entity: string
  readonly kind: string
  severity: AlertSeverity
  text: string
  /** The code of the latest raise, when its agent gave one. */
  code?: string | undefined
  readonly firstAt: number
  lastAt: number
  count: number
  firing: boolean
  cleared?: "recovered" | "expired" | "with-cause" | undefined
  readonly inhibited: boolean
  readonly announcesRecovery: boolean
}

export interface Incident {
  readonly id: string
  root: string
  state: "open" | "resolved"
  readonly openedAt: number
  updatedAt: number
  resolvedAt?: number | undefined
  resolution?: string | undefined
  /** Set when a cause found later took this incident's alerts into its own. */
  mergedInto?: string | undefined
  acknowledged?: { readonly by: string; readonly at: number; readonly severity: AlertSeverity } | undefined
  alerts: Array<AlertEntry>
  /** Distinct alerts, kept or dropped. */
  distinct: number
  raised: number
  dropped: number
  notice: {
    opened?: number | undefined
    last?: number | undefined
    /** Something changed since the last notification. */
    pending: boolean
    silenced: boolean
    resolvedSent: boolean
    count: number
  }
}

export interface Silence {
  readonly id: string
  readonly agent?: string | undefined
  readonly subject?: string | undefined
  readonly severity?: AlertSeverity | undefined
  readonly reason: string
  readonly createdBy: string
  readonly createdAt: number
  readonly expiresAt: number
  silenced: number
}

export interface Counters {
  received: number
  deduplicated: number
  silenced: number
  inhibited: number
  recoveries: number
  info: number
  notifications: number
  pruned: number
  expiredSilences: number
}

/** Everything NEXUS keeps across a restart (StateStore key "nexus"). */
export interface State {
  readonly version: 1
  nextIncident: number
  nextSilence: number
  incidents: Array<Incident>
  silences: Array<Silence>
  counters: Counters
}

export const emptyState = (): State => ({
  version: 1,
  nextIncident: 1,
  nextSilence: 1,
  incidents: [],
  silences: [],
  counters: { received: 0, deduplicated: 0, silenced: 0, inhibited: 0, recoveries: 0, info: 0, notifications: 0, pruned: 0, expiredSilences: 0 }
})

/** One notification: what `env.incident` publishes. */
export interface Notice {
  readonly id: string
  readonly state: "opened" | "updated" | "acknowledged" | "silenced" | "resolved"
  readonly severity: AlertSeverity
  readonly subject: string
  readonly title: string
  readonly alerts: number
}

export interface RawAlert {
  readonly agent: string
  readonly severity: AlertSeverity
  readonly subject: string
  readonly text: string
  /** The finding's stable code, when the agent gave one (MENTOR explains it). */
  readonly code?: string | undefined
}

export type Outcome = "opened" | "joined" | "inhibited" | "deduplicated" | "silenced" | "recovered" | "info"

const RANK: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 }
const worst = (a: AlertSeverity, b: AlertSeverity): AlertSeverity => RANK[a] >= RANK[b] ? a : b

const open = (state: State) => state.incidents.filter((i) => i.state === "open")

export const severityOf = (incident: Incident): AlertSeverity => {
  const firing = incident.alerts.filter((a) => a.firing)
  const loud = firing.filter((a) => !a.inhibited)
  const from = loud.length > 0 ? loud : firing.length > 0 ? firing : incident.alerts
  return from.reduce<AlertSeverity>((s, a) => worst(s, a.severity), "info")
}

export const titleOf = (incident: Incident): string => {
  const about = incident.alerts.filter((a) => a.entity === incident.root)
  const lead = about.find((a) => a.firing) ?? about[0] ?? incident.alerts.find((a) => a.firing) ?? incident.alerts[0]
  const others = incident.distinct - 1
  return `${lead?.text ?? entityText(incident.root)}` + (others > 0 ? ` (+${others} related alert${others === 1 ? "" : "s"})` : "")
}

const noticeOf = (incident: Incident, state: Notice["state"]): Notice => ({
  id: incident.id,
  state,
  severity: severityOf(incident),
  subject: entityText(incident.root),
  title: titleOf(incident),
  alerts: incident.distinct
})

const silenceMatches = (silence: Silence, alert: { readonly agent: string; readonly subject: string; readonly severity: AlertSeverity }) =>
  (silence.agent === undefined || silence.agent === alert.agent) &&
  (silence.subject === undefined || patternMatches(silence.subject, alert.subject)) &&
  (silence.severity === undefined || silence.severity === alert.severity)

const activeSilences = (state: State, now: number) => state.silences.filter((s) => s.expiresAt > now)

export const isSilenced = (state: State, incident: Incident, now: number): boolean => {
  const firing = incident.alerts.filter((a) => a.firing)
  const silences = activeSilences(state, now)
  return firing.length > 0 && silences.length > 0 && firing.every((a) => silences.some((s) => silenceMatches(s, a)))
}

/** Clears effects whose causes cleared, then resolves the incident when nothing in it fires. */
const settle = (incident: Incident, graph: Graph, now: number) => {
  for (let changed = true; changed;) {
    changed = false
    const firing = incident.alerts.filter((a) => a.firing)
    const cleared = incident.alerts.filter((a) => !a.firing)
    for (const a of firing) {
      if (a.announcesRecovery) continue
      const causeCleared = cleared.some((c) => dependsOn(graph, a.entity, c.entity))
      const causeFiring = firing.some((f) => f !== a && dependsOn(graph, a.entity, f.entity))
      if (causeCleared && !causeFiring) {
        a.firing = false
        a.cleared = "with-cause"
        changed = true
      }
    }
  }
  if (incident.state === "open" && incident.alerts.every((a) => !a.firing)) {
    incident.state = "resolved"
    incident.resolvedAt = now
    const how = new Set(incident.alerts.map((a) => a.cleared))
    incident.resolution = how.has("recovered") ? "its causes recovered" : how.has("expired") ? "its alerts expired (resolve timeout)" : "its alerts cleared"
  }
}

/** Takes one alert in. Notifications it makes due go out with the next `tick`, which the caller runs right after. */
export const ingest = (state: State, settings: Settings, graph: Graph, alert: RawAlert, now: number): { readonly outcome: Outcome; readonly incident?: string } => {
  state.counters.received++
  const kind = kindOf(alert.agent, alert.subject, alert.severity, alert.text, alert.code)
  const entity = entityOf(graph, alert.agent, alert.subject, alert.text)
  const fingerprint = `${alert.agent}|${entity}|${kind.kind}`

  if (kind.recovery) {
    let first: Incident | undefined
    for (const incident of open(state)) {
      let touched = false
      for (const a of incident.alerts) {
        if (!a.firing || a.agent !== alert.agent || (a.subject !== alert.subject && a.entity !== entity)) continue
        if (kind.kind !== "*" && a.kind !== "*" && a.kind !== kind.kind) continue
        a.firing = false
        a.cleared = "recovered"
        a.lastAt = now
        touched = true
      }
      if (!touched) continue
      first ??= incident
      incident.updatedAt = now
      // A partial recovery is no news worth a notification: the incident says "resolved" when all of it is over.
      settle(incident, graph, now)
    }
    if (first !== undefined) {
      state.counters.recoveries++
      return { outcome: "recovered", incident: first.id }
    }
    state.counters.info++
    return { outcome: "info" }
  }
  if (alert.severity === "info") {
    state.counters.info++
    return { outcome: "info" }
  }

  const silence = activeSilences(state, now).find((s) => silenceMatches(s, alert))
  if (silence !== undefined) {
    silence.silenced++
    state.counters.silenced++
    return { outcome: "silenced" }
  }

  for (const incident of open(state)) {
    const entry = incident.alerts.find((a) => a.fingerprint === fingerprint)
    if (entry === undefined) continue
    const before = severityOf(incident)
    const refired = !entry.firing
    entry.count++
    entry.lastAt = now
    entry.text = alert.text
    entry.code = alert.code
    entry.severity = alert.severity
    entry.firing = true
    entry.cleared = undefined
    incident.raised++
    incident.updatedAt = now
    if (refired || RANK[severityOf(incident)] > RANK[before]) incident.notice.pending = true
    state.counters.deduplicated++
    return { outcome: "deduplicated", incident: incident.id }
  }

  const target = related(state, settings, graph, entity, now)
  if (target !== undefined) {
    const { incident, rank } = target
    if (incident.state === "resolved") {
      incident.state = "open"
      incident.resolvedAt = undefined
      incident.resolution = undefined
      incident.notice.resolvedSent = false
      incident.notice.pending = true
    }
    const before = severityOf(incident)
    if (rank === "cause") reroot(state, settings, graph, incident, entity, now)
    const inhibited = incident.alerts.some((c) => c.firing && c.severity === "critical" && dependsOn(graph, entity, c.entity))
    add(incident, settings, { fingerprint, agent: alert.agent, subject: alert.subject, entity, kind: kind.kind, severity: alert.severity, text: alert.text, ...(alert.code === undefined ? {} : { code: alert.code }), firstAt: now, lastAt: now, count: 1, firing: true, inhibited, announcesRecovery: kind.announcesRecovery })
    incident.updatedAt = now
    // An update carries news: a cause found (re-rooted), another cause, another problem of the root itself, or worse
    // severity; an expected effect of the root is only counted.
    if (inhibited) state.counters.inhibited++
    else if (rank !== "effect" || entity === incident.root || RANK[severityOf(incident)] > RANK[before]) incident.notice.pending = true
    return { outcome: inhibited ? "inhibited" : "joined", incident: incident.id }
  }

  const incident: Incident = {
    id: `inc-${state.nextIncident++}`,
    root: entity,
    state: "open",
    openedAt: now,
    updatedAt: now,
    alerts: [],
    distinct: 0,
    raised: 0,
    dropped: 0,
    notice: { pending: false, silenced: false, resolvedSent: false, count: 0 }
  }
  add(incident, settings, { fingerprint, agent: alert.agent, subject: alert.subject, entity, kind: kind.kind, severity: alert.severity, text: alert.text, ...(alert.code === undefined ? {} : { code: alert.code }), firstAt: now, lastAt: now, count: 1, firing: true, inhibited: false, announcesRecovery: kind.announcesRecovery })
  state.incidents.push(incident)
  prune(state, settings)
  return { outcome: "opened", incident: incident.id }
}

const add = (incident: Incident, settings: Settings, entry: AlertEntry) => {
  incident.distinct++
  incident.raised++
  if (incident.alerts.length < settings.maxAlerts) incident.alerts.push(entry)
  else incident.dropped++
}

/** The incident an alert about `entity` belongs to, best relation first, oldest first among equals. */
const related = (state: State, settings: Settings, graph: Graph, entity: string, now: number): { readonly incident: Incident; readonly rank: "effect" | "cause" | "member" } | undefined => {
  const recent = (i: Incident) => now - i.updatedAt <= settings.windowMs
  const candidates = open(state)
  const effectOf = candidates.find((i) => i.root === entity || dependsOn(graph, entity, i.root))
  if (effectOf !== undefined) return { incident: effectOf, rank: "effect" }
  const causeOf = candidates.find((i) => recent(i) && dependsOn(graph, i.root, entity))
  if (causeOf !== undefined) return { incident: causeOf, rank: "cause" }
  const member = candidates.find((i) =>
    recent(i) && i.alerts.some((a) => a.firing && (a.entity === entity || dependsOn(graph, entity, a.entity) || dependsOn(graph, a.entity, entity)))
  )
  if (member !== undefined) return { incident: member, rank: "member" }
  // Within the window, a pool's alerts are one story even before the alert that links them (the pool's own) arrives.
  const pools = poolsOf(graph, entity)
  const sibling = pools.size === 0 ? undefined : candidates.find((i) =>
    recent(i) && i.alerts.some((a) => a.firing && [...poolsOf(graph, a.entity)].some((p) => pools.has(p)))
  )
  if (sibling !== undefined) return { incident: sibling, rank: "member" }
  // The same cause back soon after its incident resolved reopens it rather than notifying anew (flapping).
  const reopened = state.incidents
    .filter((i) => i.state === "resolved" && i.mergedInto === undefined && i.resolvedAt !== undefined && now - i.resolvedAt <= settings.windowMs)
    .find((i) => i.root === entity)
  return reopened === undefined ? undefined : { incident: reopened, rank: "effect" }
}

/** `entity` causes the incident's root: it becomes the root, and the other open incidents it causes merge in. */
const reroot = (state: State, settings: Settings, graph: Graph, incident: Incident, entity: string, now: number) => {
  incident.root = entity
  for (const other of open(state)) {
    if (other === incident || now - other.updatedAt > settings.windowMs) continue
    if (other.root !== entity && !dependsOn(graph, other.root, entity)) continue
    for (const a of other.alerts) {
      if (incident.alerts.length < settings.maxAlerts) incident.alerts.push(a)
      else incident.dropped++
    }
    incident.distinct += other.distinct
    incident.raised += other.raised
    incident.dropped += other.dropped
    other.alerts = []
    other.state = "resolved"
    other.resolvedAt = now
    other.resolution = `merged into ${incident.id}`
    other.mergedInto = incident.id
  }
}

const prune = (state: State, settings: Settings) => {
  const excess = state.incidents.length - settings.kept
  if (excess <= 0) return
  const resolved = state.incidents
    .filter((i) => i.state === "resolved" && (i.notice.opened === undefined || i.notice.resolvedSent))
    .sort((a, b) => (a.resolvedAt ?? 0) - (b.resolvedAt ?? 0))
    .slice(0, excess)
  const gone = new Set(resolved)
  state.incidents = state.incidents.filter((i) => !gone.has(i))
  state.counters.pruned += gone.size
}

/**
 * Time passes: alerts expire, silences end, and the notifications due go out.
 * Returns them in order; the caller publishes each.
 */
export const tick = (state: State, settings: Settings, graph: Graph, now: number): Array<Notice> => {
  const before = state.silences.length
  state.silences = state.silences.filter((s) => s.expiresAt > now)
  state.counters.expiredSilences += before - state.silences.length
  const notices: Array<Notice> = []
  for (const incident of state.incidents) {
    if (incident.state === "open" && settings.resolveTimeoutMs > 0) {
      let expired = false
      for (const a of incident.alerts) {
        if (a.firing && !a.announcesRecovery && now - a.lastAt >= settings.resolveTimeoutMs) {
          a.firing = false
          a.cleared = "expired"
          expired = true
        }
      }
      if (expired) {
        settle(incident, graph, now)
        if (incident.state === "open") incident.notice.pending = true
      }
    }
    const notice = incident.notice
    if (incident.state === "resolved") {
      if (notice.opened !== undefined && !notice.resolvedSent) {
        notice.resolvedSent = true
        notices.push(noticeOf(incident, "resolved"))
      }
      continue
    }
    const silenced = isSilenced(state, incident, now)
    if (notice.opened === undefined) {
      if (!silenced && now >= incident.openedAt + settings.groupWaitMs) {
        notice.opened = now
        notice.last = now
        notice.pending = false
        notices.push(noticeOf(incident, "opened"))
      }
      continue
    }
    if (silenced) {
      if (!notice.silenced) {
        notice.silenced = true
        notices.push(noticeOf(incident, "silenced"))
      }
      continue
    }
    // The silence is over: what changed meanwhile (pending) goes out; nothing else does.
    if (notice.silenced) notice.silenced = false
    // An acknowledged incident is updated only when it gets worse than it was when acknowledged.
    const ack = incident.acknowledged
    if (notice.pending && ack !== undefined && RANK[severityOf(incident)] <= RANK[ack.severity]) notice.pending = false
    if (notice.pending && now >= (notice.last ?? 0) + settings.groupIntervalMs) {
      notice.last = now
      notice.pending = false
      notices.push(noticeOf(incident, "updated"))
    }
  }
  for (const n of notices) state.incidents.find((i) => i.id === n.id)!.notice.count++
  state.counters.notifications += notices.length
  prune(state, settings)
  return notices
}

/** When `tick` next has something to do, if ever. */
export const nextDeadline = (state: State, settings: Settings, now: number): number | undefined => {
  let next = Infinity
  const at = (t: number) => (next = Math.min(next, t))
  for (const s of state.silences) at(s.expiresAt)
  for (const incident of state.incidents) {
    if (incident.state === "resolved") {
      if (incident.notice.opened !== undefined && !incident.notice.resolvedSent) at(now)
      continue
    }
    if (settings.resolveTimeoutMs > 0) {
      for (const a of incident.alerts) if (a.firing && !a.announcesRecovery) at(a.lastAt + settings.resolveTimeoutMs)
    }
    const notice = incident.notice
    // A silenced incident waits for its silence's expiry (above); tick only has to say "silenced" once.
    if (isSilenced(state, incident, now)) {
      if (notice.opened !== undefined && !notice.silenced) at(now)
    } else if (notice.opened === undefined) at(incident.openedAt + settings.groupWaitMs)
    else if (notice.silenced) at(now)
    else if (notice.pending) at(Math.max(now, (notice.last ?? 0) + settings.groupIntervalMs))
  }
  return next === Infinity ? undefined : next
}

export const find = (state: State, id: string) => state.incidents.find((i) => i.id === id)

/** Where an incident's alerts are now: itself, or the incident it was merged into. */
export const finalIncident = (state: State, id: string): string => {
  const seen = new Set<string>()
  let current = id
  for (;;) {
    const next = find(state, current)?.mergedInto
    if (next === undefined || seen.has(next)) return current
    seen.add(current)
    current = next
  }
}

/** Records the acknowledgement; the notice to publish. */
export const acknowledge = (state: State, incident: Incident, by: string, now: number): Notice => {
  incident.acknowledged = { by, at: now, severity: severityOf(incident) }
  incident.notice.pending = false
  incident.notice.count++
  state.counters.notifications++
  return noticeOf(incident, "acknowledged")
}

export const silenceMatchesNow = (state: State, matcher: Pick<Silence, "agent" | "subject" | "severity">) => {
  const silence = { ...matcher, silenced: 0 } as Silence
  const incidents = open(state).filter((i) => i.alerts.some((a) => a.firing && silenceMatches(silence, a)))
  return {
    firing: incidents.reduce((n, i) => n + i.alerts.filter((a) => a.firing && silenceMatches(silence, a)).length, 0),
    incidents: incidents.map((i) => i.id)
  }
}

const iso = (t: number) => new Date(t).toISOString()

export const summaryOf = (state: State, incident: Incident, now: number): IncidentSummary => ({
  id: incident.id,
  state: incident.state,
  severity: severityOf(incident),
  subject: entityText(incident.root),
  root: incident.root,
  title: titleOf(incident),
  openedAt: iso(incident.openedAt),
  updatedAt: iso(incident.updatedAt),
  ...(incident.resolvedAt === undefined ? {} : { resolvedAt: iso(incident.resolvedAt) }),
  ...(incident.resolution === undefined ? {} : { resolution: incident.resolution }),
  ...(incident.acknowledged === undefined ? {} : { acknowledged: { by: incident.acknowledged.by, at: iso(incident.acknowledged.at) } }),
  silenced: incident.state === "open" && isSilenced(state, incident, now),
  notified: incident.notice.opened !== undefined,
  notifications: incident.notice.count,
  alerts: incident.distinct,
  firing: incident.alerts.filter((a) => a.firing).length,
  raised: incident.raised,
  inhibited: incident.alerts.filter((a) => a.inhibited).length,
  dropped: incident.dropped
})

export const alertView = (a: AlertEntry): AlertView => ({
  fingerprint: a.fingerprint,
  agent: a.agent,
  subject: a.subject,
  entity: a.entity,
  kind: a.kind,
  severity: a.severity,
  text: a.text,
  ...(a.code === undefined ? {} : { code: a.code }),
  firstAt: iso(a.firstAt),
  lastAt: iso(a.lastAt),
  count: a.count,
  firing: a.firing,
  ...(a.cleared === undefined ? {} : { cleared: a.cleared }),
  inhibited: a.inhibited
})

export const silenceView = (s: Silence): SilenceView => ({
  id: s.id,
  ...(s.agent === undefined ? {} : { agent: s.agent }),
  ...(s.subject === undefined ? {} : { subject: s.subject }),
  ...(s.severity === undefined ? {} : { severity: s.severity }),
  reason: s.reason,
  createdBy: s.createdBy,
  createdAt: iso(s.createdAt),
  expiresAt: iso(s.expiresAt),
  silenced: s.silenced
})

export const feedOf = (state: State, lost: number, topology: string): Feed => ({
  received: state.counters.received,
  lost,
  deduplicated: state.counters.deduplicated,
  silenced: state.counters.silenced,
  inhibited: state.counters.inhibited,
  recoveries: state.counters.recoveries,
  info: state.counters.info,
  notifications: state.counters.notifications,
  pruned: state.counters.pruned,
  topology
})

/** A kept document read back: the shape is checked loosely (it is ours), anything else starts afresh. */
export const restore = (doc: unknown): State | undefined => {
  if (typeof doc !== "object" || doc === null) return undefined
  const d = doc as Partial<State>
  if (d.version !== 1 || !Array.isArray(d.incidents) || !Array.isArray(d.silences) || typeof d.nextIncident !== "number" || typeof d.nextSilence !== "number") return undefined
  // Ours, but read back from disk: an entry without the fields the model walks is dropped, not crashed on.
  const incidents = (d.incidents as Array<Partial<Incident>>).filter((i): i is Incident =>
    typeof i === "object" && i !== null && typeof i.id === "string" && typeof i.root === "string" && Array.isArray(i.alerts) &&
    typeof i.notice === "object" && i.notice !== null && (i.state === "open" || i.state === "resolved")
  )
  const silences = (d.silences as Array<Partial<Silence>>).filter((x): x is Silence =>
    typeof x === "object" && x !== null && typeof x.id === "string" && typeof x.expiresAt === "number"
  )
  return { ...emptyState(), ...d, incidents, silences, counters: { ...emptyState().counters, ...d.counters } } as State
}
