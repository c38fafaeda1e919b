/**
 * ARBITER: leases on resources so that conflicting jobs never overlap. An
 * `acquire` is granted at once or refused with the lease in the way (its
 * holder, job, resource and expiry); ARBITER itself never queues: a caller
 * that wants to wait retries (`withLease`'s `wait`, src/actors/shared/lease.ts).
 *
 * A lease ends when it expires (Effect's Clock), when it is released, or when
 * its holder agent stops or restarts. The holder's end is read from the
 * runtime's own account of it (`system.status`: lifecycle and incarnation)
 * every time the table is used, so no event can be missed, and swept every
 * few seconds while any is held, so the end is logged and saved promptly. The table is saved in
 * the state directory after every change; at start, expired leases are
 * dropped. After a restart of the daemon only the leases whose job outlives
 * it (a scrub runs on in the kernel: `outlivesDaemon`) are kept, as
 * inherited, until they expire or are released or renewed; the others ended
 * with their holders.
 */
import { Clock, Effect, Exit, Option } from "effect"
import { StateStore } from "../../adapters/state/StateStore.ts"
import { AgentEnv, type Capability } from "../../runtime/Agent.ts"
import { describeCaller } from "../../runtime/Caller.ts"
import { serviceMachine } from "../shared/serve.ts"
import { Arbiter, DEFAULT_TTL_SECONDS, HolderNotRunning, LeaseConflict, LeaseIdTaken, LeaseNotSaved, NoSuchLease } from "./messages.ts"
import { overlapsByName } from "../shared/leaseRules.ts"
import { conflictWith, decodePersisted, endOf, type Held, persistedOf, STATE_KEY, view } from "./table.ts"

export const arbiterCapabilities: ReadonlyArray<Capability> = [
  {
    name: "leases",
    available: true,
    detail:
      "time-limited leases on pools, datasets, disks, paths and the network for scrubs, resilvers, benchmarks, replication, snapshots, prunes, migrations, compression and verification; " +
      "a conflicting request is refused naming the holder (conflict matrix and containment in docs/leases.md); leases end on expiry, release, or when the holder agent stops or restarts, and are kept across restarts"
  }
]

/** How often ended leases are swept out (and the table saved). */
export const SWEEP_INTERVAL_MS = 10_000

export const arbiterMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const store = yield* StateStore
  const clock = yield* Clock.Clock
  const now = () => clock.currentTimeMillisUnsafe()
  const log = Effect.annotateLogs({ agent: env.self })

  const holderState = (holder: string) => {
    const status = env.system.status(holder)
    return status === undefined ? undefined : { lifecycle: status.lifecycle, incarnation: status.incarnation }
  }

  // ---- load ----------------------------------------------------------------------
  /** The first incarnation of this run of the daemon: what was saved is from an earlier run. */
  const firstIncarnation = (env.system.status(env.self)?.incarnation ?? 1) <= 1
  let persist = true
  let next = 1
  const leases = new Map<string, Held>()
  const loaded = yield* Effect.exit(store.read(STATE_KEY))
  if (Exit.isFailure(loaded)) {
    const failure = loaded.cause.reasons.find((r) => r._tag === "Fail")
    const error = failure?._tag === "Fail" ? failure.error.message : String(loaded.cause)
    persist = !(failure?._tag === "Fail" && failure.error._tag === "StateVersionTooNew")
    yield* log(Effect.logError(`cannot read the saved leases: ${error}; starting with none${persist ? "" : " (and not saving, so as not to overwrite them)"}`))
  } else if (Option.isSome(loaded.value)) {
    const decoded = decodePersisted(loaded.value.value)
    if (Exit.isFailure(decoded)) {
      yield* log(Effect.logError(`the saved leases have an unexpected shape; starting with none`))
    } else {
      const at = now()
      next = decoded.value.next
      let expired = 0
      let ended = 0
      for (const saved of decoded.value.leases) {
        const lease: Held = { ...saved, outlivesDaemon: saved.outlivesDaemon === true }
        if (lease.expiresAt <= at) expired++
        else if (!firstIncarnation) leases.set(lease.id, lease)
        else if (lease.outlivesDaemon) leases.set(lease.id, { ...lease, holderIncarnation: null })
        else ended++
      }
      yield* log(Effect.logInfo(
        `loaded ${leases.size} lease(s)${expired > 0 ? `, dropped ${expired} expired` : ""}${ended > 0 ? `, dropped ${ended} whose jobs ended with the daemon` : ""}`
      ))
    }
  }

  const save = Effect.suspend(() =>
    persist ? store.write(STATE_KEY, persistedOf(next, leases.values())) : Effect.void
  )
  const saveOrLog = save.pipe(Effect.catch((error) => log(Effect.logError(`cannot save the leases: ${error.message}`))))

  /** Drops every lease that ended (expired, holder stopped or restarted), logging why; saves when one did. */
  const sweep = Effect.gen(function*() {
    const at = now()
    let changed = false
    for (const lease of [...leases.values()]) {
      const end = endOf(lease, at, holderState(lease.holder))
      if (end === undefined) continue
      leases.delete(lease.id)
      changed = true
      yield* log(Effect.logInfo(`lease ${lease.id} (${lease.holder} ${lease.job} on ${lease.resource}) ended: ${end}`))
    }
    if (changed) yield* saveOrLog
  })

  const newId = () => {
    for (;;) {
      const id = `lease-${next++}`
      if (!leases.has(id)) return id
    }
  }

  const live = (id: string) =>
    Effect.gen(function*() {
      yield* sweep
      const lease = leases.get(id)
      if (lease === undefined) return yield* new NoSuchLease({ lease: id })
      return lease
    })

  return yield* serviceMachine(Arbiter, {
    // With no lease held only an `acquire` can make one: no timer until a request was handled.
    every: { intervalMs: SWEEP_INTERVAL_MS, run: sweep, idle: () => leases.size === 0 },
    handlers: {
      acquire: (request, { caller }) =>
        Effect.gen(function*() {
          const holder = holderState(request.holder)
          if (holder === undefined || holder.lifecycle !== "running") {
            return yield* new HolderNotRunning({ holder: request.holder, lifecycle: holder?.lifecycle ?? "unknown" })
          }
          yield* sweep
          if (request.lease !== undefined) {
            const same = leases.get(request.lease)
            if (same !== undefined) {
              if (same.resource === request.resource && same.job === request.job && same.holder === request.holder) return view(same)
              return yield* new LeaseIdTaken({ lease: same.id, holder: same.holder, job: same.job, resource: same.resource })
            }
          }
          const conflict = conflictWith(leases.values(), request)
          if (conflict !== undefined) {
            const held = conflict.lease
            return yield* new LeaseConflict({
              resource: request.resource,
              job: request.job,
              lease: held.id,
              holder: held.holder,
              heldJob: held.job,
              heldResource: held.resource,
              expiresAt: new Date(held.expiresAt).toISOString(),
              reason: conflict.reason
            })
          }
          const at = now()
          const ttlSeconds = request.ttlSeconds ?? DEFAULT_TTL_SECONDS
          const previousNext = next
          const lease: Held = {
            id: request.lease ?? newId(),
            resource: request.resource,
            job: request.job,
            holder: request.holder,
            caller: describeCaller(caller),
            ...(request.onBehalfOf === undefined ? {} : { onBehalfOf: request.onBehalfOf }),
            acquiredAt: at,
            expiresAt: at + ttlSeconds * 1000,
            ttlSeconds,
            outlivesDaemon: request.outlivesDaemon === true,
            holderIncarnation: holder.incarnation
          }
          leases.set(lease.id, lease)
          const saved = yield* Effect.exit(save)
          if (Exit.isFailure(saved)) {
            leases.delete(lease.id)
            next = previousNext
            const reason = saved.cause.reasons.map((r) => (r._tag === "Fail" ? r.error.message : String(r))).join("; ")
            return yield* new LeaseNotSaved({ reason })
          }
          yield* log(Effect.logInfo(`lease ${lease.id}: ${lease.holder} ${lease.job} on ${lease.resource} for ${ttlSeconds} s (${lease.caller})`))
          return view(lease)
        }),
      renew: (request) =>
        Effect.gen(function*() {
          const lease = yield* live(request.lease)
          const ttlSeconds = request.ttlSeconds ?? lease.ttlSeconds
          const holder = holderState(lease.holder)
          const renewed: Held = {
            ...lease,
            expiresAt: now() + ttlSeconds * 1000,
            ttlSeconds,
            // Renewing an inherited lease binds it to its holder's current run.
            holderIncarnation: lease.holderIncarnation ?? (holder?.lifecycle === "running" ? holder.incarnation : null)
          }
          leases.set(lease.id, renewed)
          yield* saveOrLog
          return view(renewed)
        }),
      release: (request) =>
        Effect.gen(function*() {
          const lease = yield* live(request.lease)
          leases.delete(lease.id)
          yield* saveOrLog
          yield* log(Effect.logInfo(`lease ${lease.id} (${lease.holder} ${lease.job} on ${lease.resource}) released`))
          return { released: view(lease) }
        }),
      leases: (request) =>
        Effect.gen(function*() {
          yield* sweep
          const all = [...leases.values()].sort((a, b) => a.acquiredAt - b.acquiredAt || a.id.localeCompare(b.id))
          const wanted = request.resource
          const shown = wanted === undefined ? all : all.filter((lease) => overlapsByName(lease.resource, wanted))
          return { at: new Date(now()).toISOString(), leases: shown.map(view) }
        })
    }
  })
})
