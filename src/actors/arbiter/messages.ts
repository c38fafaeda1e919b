/**
 * ARBITER's protocol: the single source of its message schemas, replies,
 * rejections and access classes. The rules (resources, containment, the
 * conflict matrix) are in ../shared/leaseRules.ts; docs/leases.md explains them.
 */
import { Result, Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { AgentName, Name, PositiveInt, Text } from "../shared/fields.ts"
import { LEASE_JOBS, parseResource } from "../shared/leaseRules.ts"

export const LeaseJob = Schema.Literals(LEASE_JOBS)

const RESOURCE_EXPECTED = "pool:<pool>, dataset:<pool/path>, disk:<device>, path:<absolute path> or network, e.g. pool:tank"

/** A resource name, refused at the boundary with the reason (an invalid pool name, a relative path). */
export const ResourceName = Schema.String.check(
  Schema.makeFilter(
    (input: string) => {
      const parsed = parseResource(input)
      return Result.isSuccess(parsed) ? undefined : `${parsed.failure}; expected ${RESOURCE_EXPECTED}`
    },
    {
      expected: RESOURCE_EXPECTED,
      arbitraryConstraint: {
        patterns: [{ source: "^(network|pool:[a-z]{1,8}|dataset:[a-z]{1,8}(/[a-z]{1,8}){0,2}|disk:sd[a-z]|path:(/[a-z]{1,8}){1,3})$", flags: "" }]
      }
    }
  )
)

/** The longest lease: a day. A job that runs longer renews it. */
export const MAX_TTL_SECONDS = 86_400
/** What a lease lasts when the request does not say. */
export const DEFAULT_TTL_SECONDS = 300

const TtlSeconds = PositiveInt.check(Schema.isLessThanOrEqualTo(MAX_TTL_SECONDS))

export const Lease = Schema.Struct({
  id: Schema.String,
  resource: Schema.String,
  job: LeaseJob,
  /** The agent whose job holds it; the lease ends when that agent stops or restarts. */
  holder: Schema.String,
  /** Who asked ARBITER for it: "the daemon" for an agent, "uid 0 (socket, pid 42)" from the CLI. */
  caller: Schema.String,
  /** Whom the holder runs the job for, when it said. */
  onBehalfOf: Schema.optionalKey(Schema.String),
  acquiredAt: Schema.String,
  expiresAt: Schema.String,
  ttlSeconds: Schema.Int,
  /** Its job runs outside the daemon (a scrub in the kernel) and may outlive it: the lease is kept across a restart of the daemon. */
  outlivesDaemon: Schema.Boolean,
  /**
   * Taken before the daemon last started (only a lease whose job outlives the
   * daemon is kept then): held until it expires, is released, or is renewed.
   */
  inherited: Schema.Boolean
})
export type Lease = typeof Lease.Type

export class LeaseConflict extends Schema.TaggedError<LeaseConflict>()("LeaseConflict", {
  /** What was asked for. */
  resource: Schema.String,
  job: Schema.String,
  /** The lease in the way. */
  lease: Schema.String,
  holder: Schema.String,
  heldJob: Schema.String,
  heldResource: Schema.String,
  expiresAt: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${this.resource} is busy: ${this.holder} holds ${this.heldResource} for ${this.heldJob} (lease ${this.lease}, until ${this.expiresAt}); ${this.job} and ${this.heldJob} conflict: ${this.reason}`
  }
}

export class NoSuchLease extends Schema.TaggedError<NoSuchLease>()("NoSuchLease", { lease: Schema.String }) {
  override get message() {
    return `no lease '${this.lease}' is held (it was released, it expired, or its holder stopped)`
  }
}

export class HolderNotRunning extends Schema.TaggedError<HolderNotRunning>()("HolderNotRunning", {
  holder: Schema.String,
  /** The agent's lifecycle, or "unknown" when there is no such agent. */
  lifecycle: Schema.String
}) {
  override get message() {
    return this.lifecycle === "unknown"
      ? `no agent named '${this.holder}' to hold a lease`
      : `${this.holder} is ${this.lifecycle}, not running: it cannot hold a lease`
  }
}

/** The id a request chose names another lease. */
export class LeaseIdTaken extends Schema.TaggedError<LeaseIdTaken>()("LeaseIdTaken", {
  lease: Schema.String,
  holder: Schema.String,
  job: Schema.String,
  resource: Schema.String
}) {
  override get message() {
    return `lease id '${this.lease}' is taken by ${this.holder}'s ${this.job} on ${this.resource}; choose another`
  }
}

/** The lease could not be written to the state directory, so it was not granted. */
export class LeaseNotSaved extends Schema.TaggedError<LeaseNotSaved>()("LeaseNotSaved", { reason: Schema.String }) {
  override get message() {
    return `the lease was not granted: it could not be saved (${this.reason})`
  }
}

export const Arbiter = Protocol.make("ARBITER", [
  Protocol.message("acquire", {
    doc: "takes a time-limited lease on a resource for a job; refused, naming the holder, while a conflicting job holds an overlapping resource",
    access: "admin",
    fields: {
      resource: ResourceName,
      job: LeaseJob,
      holder: AgentName,
      ttlSeconds: Schema.optionalKey(TtlSeconds),
      onBehalfOf: Schema.optionalKey(Text),
      /**
       * The job runs outside the daemon (a scrub or resilver in the kernel, work
       * done by hand) and may outlive it: keep the lease across a restart of the
       * daemon, until it expires. Otherwise it ends with its holder, as the job does.
       */
      outlivesDaemon: Schema.optionalKey(Schema.Boolean),
      /**
       * The id to give the lease (default lease-N). Asking again with the same
       * id, resource, job and holder answers the lease granted (an ask that
       * timed out can be repeated, or the lease released, without a duplicate).
       */
      lease: Schema.optionalKey(Name)
    },
    reply: Lease,
    rejections: [LeaseConflict, LeaseIdTaken, HolderNotRunning, LeaseNotSaved]
  }),
  Protocol.message("renew", {
    doc: "extends a lease by its time to live (or the one given) from now",
    access: "admin",
    fields: { lease: Name, ttlSeconds: Schema.optionalKey(TtlSeconds) },
    reply: Lease,
    rejections: [NoSuchLease]
  }),
  Protocol.message("release", {
    doc: "ends a lease",
    access: "admin",
    fields: { lease: Name },
    reply: Schema.Struct({ released: Lease }),
    rejections: [NoSuchLease]
  }),
  Protocol.message("leases", {
    doc: "the leases held now (or those overlapping one resource)",
    access: "read",
    fields: { resource: Schema.optionalKey(ResourceName) },
    reply: Schema.Struct({ at: Schema.String, leases: Schema.Array(Lease) }),
    rejections: []
  })
])
