/**
 * NEXUS: every Alert on the inspection stream (and every `report`) goes
 * through the correlation model (correlate.ts); the notifications it makes
 * due are published as Incident events. One fiber per incarnation holds the
 * subscription: it waits for an alert, a change made by a message, or the
 * next deadline (group_wait, group_interval, an expiry) — nothing runs while
 * nothing is due. Incidents and silences are kept in the StateStore ("nexus")
 * and survive a restart of the daemon.
 */
import { Clock, Effect, Exit, Option, Queue, Scope, Semaphore } from "effect"
import { StateStore } from "../../adapters/state/StateStore.ts"
import { AgentEnv, type Capability } from "../../runtime/Agent.ts"
import { ledgerActor } from "../../runtime/Caller.ts"
import { describeError } from "../../runtime/Errors.ts"
import { serviceMachine } from "../shared/serve.ts"
import { Vertex } from "../vertex/messages.ts"
import { NexusConfig } from "./config.ts"
import {
  acknowledge,
  alertView,
  emptyState,
  feedOf,
  find,
  ingest,
  nextDeadline,
  type Notice,
  type RawAlert,
  restore,
  type Silence,
  silenceMatchesNow,
  silenceView,
  summaryOf,
  tick
} from "./correlate.ts"
import { BadMatcher, IncidentResolved, Nexus, NoSuchIncident, NoSuchSilence, TooManySilences } from "./messages.ts"
import { emptyGraph, type Graph, graphOf } from "./subjects.ts"

export const STATE_KEY = "nexus"
/** Alerts taken in are written within this delay; notifications at once (at most once a second), changes by messages at once. */
const FLUSH_DELAY_MS = 5_000
const NOTIFIED_WRITE_GAP_MS = 1_000

export const nexusCapabilities: ReadonlyArray<Capability> = [
  {
    name: "correlation",
    available: true,
    detail: "every Alert event and report: dedup by fingerprint (agent, topology node, kind), grouping by VERTEX's graph " +
      "(disk → vdev → pool → dataset → share) within a window, inhibition under a critical cause, group_wait/group_interval, " +
      "resolution on recovery, expiry or with the cause; losses of the alert feed are counted (incidents' feed.lost)"
  },
  {
    name: "incidents",
    available: true,
    detail: "incidents open or all with their alerts, acknowledgement, silences with matchers and expiry; kept across restarts, oldest resolved pruned"
  }
]

export const nexusMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const store = yield* StateStore
  const config = yield* NexusConfig

  const kept = yield* store.read(STATE_KEY).pipe(
    Effect.map(Option.getOrUndefined),
    Effect.catch((error) => Effect.as(Effect.logWarning(`NEXUS: the kept incidents cannot be read (${error.message}); starting afresh`), undefined))
  )
  const restored = kept === undefined ? undefined : restore(kept)
  if (kept !== undefined && restored === undefined) yield* Effect.logWarning("NEXUS: the kept incidents are not in a shape this release knows; starting afresh")
  const state = restored ?? emptyState()

  let graph: Graph = emptyGraph
  let graphAt = -Infinity
  let topology = "not read yet: VERTEX is asked when an alert arrives"
  let lost = () => 0
  let dirty = false
  let flushAt: number | undefined
  const lock = yield* Semaphore.make(1)
  /** Tells the fiber that a message changed something a deadline depends on. */
  const wake = yield* Queue.sliding<true>(1)

  let lastWrite = -Infinity
  const persist = lock.withPermits(1)(Effect.gen(function*() {
    dirty = false
    flushAt = undefined
    lastWrite = yield* Clock.currentTimeMillis
    return yield* store.write(STATE_KEY, state)
  })).pipe(Effect.catch((error) => Effect.logWarning(`NEXUS: cannot keep the incidents: ${error.message}`)))
  /** After a notification: written at once, but at most once a second during a storm (the rest within the second). */
  const persistSoon = (now: number) => {
    if (now - lastWrite >= NOTIFIED_WRITE_GAP_MS) return persist
    dirty = true
    flushAt = Math.min(flushAt ?? Infinity, lastWrite + NOTIFIED_WRITE_GAP_MS)
    return Effect.void
  }

  const refreshGraph = Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    if (now - graphAt < config.topologyMaxAgeMs) return
    graphAt = now
    const read = yield* Effect.result(env.system.call(Vertex, { type: "topology" }, { timeoutMs: 10_000 }))
    if (read._tag === "Success") {
      graph = graphOf(read.success)
      topology = `VERTEX (${read.success.nodes.length} nodes)` + (read.success.zfs === undefined ? "" : `; ZFS: ${read.success.zfs}`)
    } else {
      topology = `VERTEX could not be asked (${describeError(read.failure)}): subjects relate by name only`
    }
  })

  const publish = (notices: ReadonlyArray<Notice>) =>
    Effect.forEach(notices, (n) => env.incident(n), { discard: true })

  /** Runs what is due; persists at once when something was notified. */
  const step = Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const notices = tick(state, config, graph, now)
    yield* publish(notices)
    if (dirty && flushAt !== undefined && now >= flushAt) yield* persist
    else if (notices.length > 0) yield* persistSoon(now)
  })

  const take = (alert: RawAlert) =>
    Effect.gen(function*() {
      yield* refreshGraph
      const now = yield* Clock.currentTimeMillis
      const result = ingest(state, config, graph, alert, now)
      dirty = true
      flushAt ??= now + FLUSH_DELAY_MS
      yield* step
      return result
    })

  const changed = Effect.gen(function*() {
    yield* step
    yield* persist
    yield* Queue.offer(wake, true)
  })

  // Subscribed while the incarnation starts, so no alert raised after NEXUS is up is missed;
  // the scope closes with the feed's fiber, which ends with the incarnation.
  const feedScope = yield* Scope.make()
  const subscriber = yield* Scope.provide(feedScope)(env.system.events({ tags: ["Alert"], buffer: config.buffer }))
  lost = subscriber.lost

  const feed = Effect.gen(function*() {
    while (true) {
      yield* step
      const now = yield* Clock.currentTimeMillis
      const due = [nextDeadline(state, config, now), dirty ? flushAt : undefined].filter((t): t is number => t !== undefined)
      const wait = due.length === 0 ? Effect.never : Effect.sleep(Math.max(0, Math.min(...due) - now))
      const event = yield* Effect.raceAll([
        subscriber.take,
        Effect.as(Queue.take(wake), undefined),
        Effect.as(wait, undefined)
      ])
      if (event !== undefined && event._tag === "Alert" && event.agent !== env.self) {
        yield* take({ agent: event.agent, severity: event.severity, subject: event.subject, text: event.text, code: event.code })
      }
    }
  }).pipe(
    Effect.catchCause((cause) => Effect.logError(`NEXUS: the alert feed stopped: ${String(cause)}`)),
    Effect.ensuring(Effect.suspend(() => dirty ? persist : Effect.void)),
    Effect.ensuring(Scope.close(feedScope, Exit.void))
  )
  yield* Effect.forkChild(feed)

  const currentFeed = () => feedOf(state, lost(), topology)

  return yield* serviceMachine(Nexus, {
    handlers: {
      report: (request) =>
        Effect.gen(function*() {
          const result = yield* take({ agent: request.source, severity: request.severity, subject: request.subject, text: request.summary, code: request.code })
          yield* Queue.offer(wake, true)
          return result
        }),
      incidents: (request) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const openOnly = request.open ?? true
          const chosen = state.incidents.filter((i) => !openOnly || i.state === "open").slice().reverse()
          return {
            incidents: chosen.map((i) => summaryOf(state, i, now)),
            open: state.incidents.filter((i) => i.state === "open").length,
            kept: state.incidents.length,
            feed: currentFeed()
          }
        }),
      incident: (request) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const incident = find(state, request.id)
          if (incident === undefined) return yield* Effect.fail(new NoSuchIncident({ id: request.id }))
          return { incident: summaryOf(state, incident, now), alerts: incident.alerts.map(alertView) }
        }),
      acknowledge: (request, context) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const incident = find(state, request.id)
          if (incident === undefined) return yield* Effect.fail(new NoSuchIncident({ id: request.id }))
          if (incident.state === "resolved") return yield* Effect.fail(new IncidentResolved({ id: request.id }))
          const by = ledgerActor(context.caller)
          if (incident.acknowledged !== undefined) {
            return { incident: summaryOf(state, incident, now), applied: false, plan: `already acknowledged by ${incident.acknowledged.by} at ${new Date(incident.acknowledged.at).toISOString()}` }
          }
          const plan = `record that ${by} has seen ${incident.id}; it is then updated only if it gets worse than it is now (${summaryOf(state, incident, now).severity}), and resolved as usual`
          if (request.confirm !== true) return { incident: summaryOf(state, incident, now), applied: false, plan }
          yield* publish([acknowledge(state, incident, by, now)])
          yield* changed
          return { incident: summaryOf(state, incident, now), applied: true, plan }
        }),
      silence: (request, context) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const { agent, subject, severity } = request
          if (agent === undefined && subject === undefined && severity === undefined) {
            return yield* Effect.fail(new BadMatcher({ field: "agent", reason: "give at least one matcher: agent, subject or severity" }))
          }
          if (severity === "info") return yield* Effect.fail(new BadMatcher({ field: "severity", reason: "info alerts never make incidents: there is nothing to silence" }))
          if (subject !== undefined && /^\**$/.test(subject.trim()) && agent === undefined && severity === undefined) {
            return yield* Effect.fail(new BadMatcher({ field: "subject", reason: `'${subject}' matches every alert: name an agent or a severity too` }))
          }
          if (subject !== undefined && subject !== subject.trim()) {
            return yield* Effect.fail(new BadMatcher({ field: "subject", reason: "leading or trailing blanks never match a subject" }))
          }
          const active = state.silences.filter((s) => s.expiresAt > now)
          if (active.length >= config.maxSilences) return yield* Effect.fail(new TooManySilences({ limit: config.maxSilences }))
          const silence: Silence = {
            id: `sil-${state.nextSilence}`,
            ...(agent === undefined ? {} : { agent }),
            ...(subject === undefined ? {} : { subject }),
            ...(severity === undefined ? {} : { severity }),
            reason: request.reason,
            createdBy: ledgerActor(context.caller),
            createdAt: now,
            expiresAt: now + request.expiresInSeconds * 1000,
            silenced: 0
          }
          const matches = silenceMatchesNow(state, silence)
          if (request.confirm !== true) return { silence: silenceView(silence), applied: false, matches }
          state.nextSilence++
          state.silences.push(silence)
          yield* changed
          return { silence: silenceView(silence), applied: true, matches }
        }),
      silences: () =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          return { silences: state.silences.filter((s) => s.expiresAt > now).map(silenceView), expired: state.counters.expiredSilences }
        }),
      unsilence: (request) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const silence = state.silences.find((s) => s.id === request.id && s.expiresAt > now)
          if (silence === undefined) return yield* Effect.fail(new NoSuchSilence({ id: request.id }))
          if (request.confirm !== true) return { silence: silenceView(silence), applied: false }
          state.silences = state.silences.filter((s) => s !== silence)
          yield* changed
          return { silence: silenceView(silence), applied: true }
        })
    }
  })
})
