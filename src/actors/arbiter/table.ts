/**
 * ARBITER's lease table, pure: what is held, what is live at an instant,
 * what is in the way of a new lease, and the persisted form. The machine
 * (machine.ts) keeps one table, reads the clock and the holders' status, and
 * saves the table after each change.
 */
import { Schema } from "effect"
import { clash, type LeaseJob } from "../shared/leaseRules.ts"
import { LeaseJob as LeaseJobSchema, type Lease } from "./messages.ts"

export interface Held {
  readonly id: string
  readonly resource: string
  readonly job: LeaseJob
  readonly holder: string
  readonly caller: string
  readonly onBehalfOf?: string | undefined
  readonly acquiredAt: number
  readonly expiresAt: number
  readonly ttlSeconds: number
  readonly outlivesDaemon: boolean
  /**
   * The holder's incarnation when the lease was taken (or last renewed); the
   * lease ends when the holder runs another one, or none. Null for a lease
   * from before the daemon's start (inherited): its holder's incarnations
   * then were another run's, so only its expiry ends it.
   */
  readonly holderIncarnation: number | null
}

/** The holder's state as the runtime reports it: undefined when there is no such agent. */
export type HolderState = { readonly lifecycle: string; readonly incarnation: number } | undefined

/** Why a lease is over at `now`, or undefined while it holds. */
export const endOf = (lease: Held, now: number, holder: HolderState): string | undefined => {
  if (lease.expiresAt <= now) return `expired at ${new Date(lease.expiresAt).toISOString()}`
  if (lease.holderIncarnation === null) return undefined
  if (holder === undefined) return `its holder ${lease.holder} is gone`
  if (holder.lifecycle !== "running") return `its holder ${lease.holder} is ${holder.lifecycle}`
  if (holder.incarnation !== lease.holderIncarnation) return `its holder ${lease.holder} restarted`
  return undefined
}

/** The first live lease a new (resource, job) would conflict with, and why. */
export const conflictWith = (
  leases: Iterable<Held>,
  wanted: { readonly resource: string; readonly job: LeaseJob }
): { readonly lease: Held; readonly reason: string } | undefined => {
  for (const lease of leases) {
    const reason = clash(wanted, lease)
    if (reason !== undefined) return { lease, reason }
  }
  return undefined
}

const iso = (ms: number) => new Date(ms).toISOString()

export const view = (lease: Held): Lease => ({
  id: lease.id,
  resource: lease.resource,
  job: lease.job,
  holder: lease.holder,
  caller: lease.caller,
  ...(lease.onBehalfOf === undefined ? {} : { onBehalfOf: lease.onBehalfOf }),
  acquiredAt: iso(lease.acquiredAt),
  expiresAt: iso(lease.expiresAt),
  ttlSeconds: lease.ttlSeconds,
  outlivesDaemon: lease.outlivesDaemon,
  inherited: lease.holderIncarnation === null
})

// ---- persisted form -------------------------------------------------------------

export const STATE_KEY = "arbiter"

const PersistedLease = Schema.Struct({
  id: Schema.String,
  resource: Schema.String,
  job: LeaseJobSchema,
  holder: Schema.String,
  caller: Schema.String,
  onBehalfOf: Schema.optionalKey(Schema.String),
  acquiredAt: Schema.Finite,
  expiresAt: Schema.Finite,
  ttlSeconds: Schema.Int,
  outlivesDaemon: Schema.optionalKey(Schema.Boolean),
  holderIncarnation: Schema.NullOr(Schema.Int)
})
export const Persisted = Schema.Struct({
  /** The number of the next lease: ids are lease-1, lease-2, … and never reused. */
  next: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  leases: Schema.Array(PersistedLease)
})
export type Persisted = typeof Persisted.Type
export const decodePersisted = Schema.decodeUnknownExit(Persisted)

export const persistedOf = (next: number, leases: Iterable<Held>): Persisted => ({
  next,
  leases: [...leases].map((lease) => ({
    id: lease.id,
    resource: lease.resource,
    job: lease.job,
    holder: lease.holder,
    caller: lease.caller,
    ...(lease.onBehalfOf === undefined ? {} : { onBehalfOf: lease.onBehalfOf }),
    acquiredAt: lease.acquiredAt,
    expiresAt: lease.expiresAt,
    ttlSeconds: lease.ttlSeconds,
    outlivesDaemon: lease.outlivesDaemon,
    holderIncarnation: lease.holderIncarnation
  }))
})
