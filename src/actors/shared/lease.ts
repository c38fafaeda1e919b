/**
 * How an agent runs a job under one of ARBITER's leases. `withLease` takes
 * the lease (holder: the agent itself), runs the body, renews the lease every
 * third of its time to live while the body runs, and releases it afterwards,
 * whether the body succeeded, failed or was interrupted. A conflicting job
 * holding an overlapping resource makes it fail at once with ARBITER's
 * `LeaseConflict`, which names the holder — unless `wait` is given: then it
 * retries until the lease in the way ends or `wait.maxSeconds` have passed.
 *
 * A lease lost while the body runs (ARBITER did not hear a renewal before the
 * lease expired) interrupts the body: the job no longer has the resource to
 * itself, so it stops rather than run on unprotected, and fails with
 * DependencyFailed saying so. A renewal that merely fails (ARBITER busy,
 * restarting) is tried again at the next third.
 *
 * Jobs that outlive one message (a scrub runs in the kernel) hold a lease
 * with the lower-level `acquireLease` / `renewLease` / `releaseLease`.
 */
import { Clock, Duration, Effect, Random } from "effect"
import type { AgentEnvShape } from "../../runtime/Agent.ts"
import { describeCaller } from "../../runtime/Caller.ts"
import { Arbiter, DEFAULT_TTL_SECONDS, type Lease, LeaseConflict } from "../arbiter/messages.ts"
import type { LeaseJob } from "./leaseRules.ts"
import { DependencyFailed, failedDependency } from "./rejections.ts"

export type { LeaseJob } from "./leaseRules.ts"
export { LeaseConflict } from "../arbiter/messages.ts"
export type { Lease } from "../arbiter/messages.ts"

export interface LeaseRequest {
  readonly resource: string
  readonly job: LeaseJob
}

export interface LeaseOptions {
  /** The lease's time to live; it is renewed every third of it. Default 300 s. */
  readonly ttlSeconds?: number
  /** Wait for a conflicting lease to end, retrying, for at most this long; without it a conflict fails at once. */
  readonly wait?: { readonly maxSeconds: number }
}

/** Between retries while waiting for a lease in the way to end. */
const RETRY_MAX_MS = 5_000

const asDependency = (error: { readonly message: string }) => new DependencyFailed({ agent: "ARBITER", reason: error.message })

/**
 * Takes a lease held by `env.self`: a conflict is LeaseConflict, anything else (ARBITER absent, the lease not saved) DependencyFailed.
 * The lease's id is chosen here, so when the ask fails for any other reason (it timed out after ARBITER granted it)
 * the lease is released rather than left in the way until it expires.
 */
export const acquireLease = (
  env: AgentEnvShape,
  lease: LeaseRequest,
  options: { readonly ttlSeconds?: number; readonly outlivesDaemon?: boolean } = {}
): Effect.Effect<Lease, LeaseConflict | DependencyFailed> =>
  Effect.gen(function*() {
    const caller = env.caller()
    const id = `${env.self.toLowerCase()}-${(yield* Random.nextIntBetween(0, 36 ** 8)).toString(36).padStart(8, "0")}`
    return yield* env.system.call(Arbiter, {
      type: "acquire",
      resource: lease.resource,
      job: lease.job,
      holder: env.self,
      lease: id,
      ...(options.ttlSeconds === undefined ? {} : { ttlSeconds: options.ttlSeconds }),
      ...(options.outlivesDaemon === true ? { outlivesDaemon: true } : {}),
      ...(caller.via === "daemon" ? {} : { onBehalfOf: describeCaller(caller) })
    }).pipe(
      failedDependency("ARBITER"),
      Effect.catchTags({
        HolderNotRunning: (e) => Effect.fail(asDependency(e)),
        LeaseNotSaved: (e) => Effect.fail(asDependency(e)),
        LeaseIdTaken: (e) => Effect.fail(asDependency(e))
      }),
      Effect.tapError((error) => error._tag === "DependencyFailed" ? Effect.forkDetach(releaseLease(env, id)) : Effect.void)
    )
  })

/** Extends a lease; NoSuchLease (it ended) and ARBITER's failures are DependencyFailed, with `lost` telling them apart. */
export const renewLease = (
  env: AgentEnvShape,
  id: string,
  options: { readonly ttlSeconds?: number } = {}
): Effect.Effect<Lease, DependencyFailed | { readonly _tag: "LeaseLost"; readonly message: string }> =>
  env.system.call(Arbiter, { type: "renew", lease: id, ...(options.ttlSeconds === undefined ? {} : { ttlSeconds: options.ttlSeconds }) }).pipe(
    failedDependency("ARBITER"),
    Effect.catchTag("NoSuchLease", (e) => Effect.fail({ _tag: "LeaseLost" as const, message: e.message }))
  )

/** Ends a lease; one already ended is not an error. Never fails: a failure is logged (the lease then expires). */
export const releaseLease = (env: AgentEnvShape, id: string): Effect.Effect<void> =>
  env.system.call(Arbiter, { type: "release", lease: id }).pipe(
    Effect.asVoid,
    Effect.catchTag("NoSuchLease", () => Effect.void),
    Effect.catch((error) => Effect.logWarning(`could not release lease ${id}: ${error.message}; it ends when it expires`))
  )

/** Takes the lease, waiting for conflicting ones to end while `wait` allows. */
const acquireWaiting = (env: AgentEnvShape, lease: LeaseRequest, options: LeaseOptions) =>
  Effect.gen(function*() {
    const deadline = (yield* Clock.currentTimeMillis) + (options.wait?.maxSeconds ?? 0) * 1000
    const ttl = options.ttlSeconds === undefined ? {} : { ttlSeconds: options.ttlSeconds }
    for (;;) {
      const attempt = yield* Effect.exit(acquireLease(env, lease, ttl))
      if (attempt._tag === "Success") return attempt.value
      const error = attempt.cause.reasons.find((r) => r._tag === "Fail")
      const now = yield* Clock.currentTimeMillis
      if (options.wait === undefined || error?._tag !== "Fail" || !(error.error instanceof LeaseConflict) || now >= deadline) {
        return yield* attempt
      }
      const untilExpiry = Date.parse(error.error.expiresAt) - now
      yield* Effect.sleep(Duration.millis(Math.max(1, Math.min(RETRY_MAX_MS, untilExpiry, deadline - now))))
    }
  })

/** Renews every third of the time to live; fails only when the lease is lost. */
const keepRenewed = (env: AgentEnvShape, held: Lease): Effect.Effect<never, DependencyFailed> =>
  Effect.gen(function*() {
    for (;;) {
      yield* Effect.sleep(Duration.millis(Math.max(1_000, (held.ttlSeconds * 1000) / 3)))
      const renewed = yield* Effect.exit(renewLease(env, held.id))
      if (renewed._tag === "Success") continue
      const error = renewed.cause.reasons.find((r) => r._tag === "Fail")
      if (error?._tag === "Fail" && error.error._tag === "LeaseLost") {
        return yield* new DependencyFailed({
          agent: "ARBITER",
          reason: `lease ${held.id} on ${held.resource} for ${held.job} was lost (${error.error.message}); the job was stopped`
        })
      }
      yield* Effect.logWarning(`could not renew lease ${held.id}: ${error?._tag === "Fail" ? error.error.message : "interrupted"}; retrying`)
    }
  })

/**
 * Takes a lease on `resource` for `job` (holder = env.self), runs `body`, renews while it runs, releases after (also on failure/interrupt).
 * Fails with ARBITER's LeaseConflict (naming the holder) when a conflicting job holds the resource.
 */
export const withLease = <A, E, R>(
  env: AgentEnvShape,
  lease: LeaseRequest,
  body: Effect.Effect<A, E, R>,
  options: LeaseOptions = {}
): Effect.Effect<A, E | LeaseConflict | DependencyFailed, R> =>
  Effect.acquireUseRelease(
    acquireWaiting(env, lease, options),
    (held) => Effect.raceFirst(body, keepRenewed(env, held)),
    (held) => releaseLease(env, held.id)
  )

export { DEFAULT_TTL_SECONDS }
