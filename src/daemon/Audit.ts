/**
 * The runtime's own state changes in the audit ledger: the daemon starting
 * and stopping, agents failing and being restarted, supervisors escalating.
 * They are read off the inspection stream, which never slows the agents
 * down; should the recorder fall behind far enough to lose events, the
 * ledger says how many were lost rather than pretending to be complete.
 */
import { Effect } from "effect"
import type { Ledger, NewEntry } from "../ledger/index.ts"
import type { ActorSystem } from "../runtime/ActorSystem.ts"
import type { InspectionEvent } from "../runtime/Inspection.ts"

export const SUPERVISOR_ACTOR = "SUPERVISOR"

/** The ledger entry for an inspection event, or none for events that change nothing (messages, transitions). */
export const entryFor = (event: InspectionEvent): NewEntry | undefined => {
  switch (event._tag) {
    case "Failed":
      return { actor: SUPERVISOR_ACTOR, action: "agent.failed", detail: { agent: event.agent, error: event.error } }
    case "Restarted":
      return {
        actor: SUPERVISOR_ACTOR,
        action: "agent.restarted",
        detail: { agent: event.agent, restarts: event.restarts, delayMs: event.delayMs }
      }
    case "Escalated":
      return { actor: SUPERVISOR_ACTOR, action: "supervisor.escalated", detail: { supervisor: event.supervisor, reason: event.reason } }
    default:
      return undefined
  }
}

const record = (ledger: Ledger, entry: NewEntry) =>
  ledger.append(entry).pipe(
    Effect.asVoid,
    Effect.catch((error) => Effect.logError(`audit ledger: could not record ${entry.action}: ${error.message}`))
  )

/** Records the runtime's state changes until the scope closes. */
export const recordRuntimeEvents = (system: ActorSystem, ledger: Ledger) =>
  Effect.gen(function*() {
    // The ledger records lifecycle events only: no per-message or per-transition events are built for it.
    const subscriber = yield* system.inspection.subscribeWith({ messageEvents: false, transitionEvents: false })
    let lostSoFar = 0
    yield* Effect.forkScoped(Effect.forever(Effect.gen(function*() {
      const event = yield* subscriber.take
      const lost = subscriber.lost()
      if (lost > lostSoFar) {
        yield* record(ledger, { actor: SUPERVISOR_ACTOR, action: "audit.events-lost", detail: { count: lost - lostSoFar } })
        lostSoFar = lost
      }
      const entry = entryFor(event)
      if (entry !== undefined) yield* record(ledger, entry)
    })))
  })

export const recordDaemon = (ledger: Ledger, action: "daemon.started" | "daemon.stopped", detail: Record<string, unknown>) =>
  record(ledger, { actor: SUPERVISOR_ACTOR, action, detail })
