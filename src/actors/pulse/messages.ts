/** PULSE's protocol: the single source of its message schemas, replies, rejections and access classes. */
import { Schema } from "effect"
import { UNIT_STATES } from "../../adapters/systemd/ServiceManager.ts"
import * as Protocol from "../../runtime/Protocol.ts"

export const HeartbeatDecision = Schema.Struct({
  /** Wall-clock milliseconds. */
  at: Schema.Finite,
  /** Whether WATCHDOG=1 went to systemd. */
  sent: Schema.Boolean,
  reason: Schema.String,
  /** The STATUS line at the time. */
  status: Schema.String
})
export type HeartbeatDecision = typeof HeartbeatDecision.Type

export const ServiceLiveness = Schema.Struct({
  unit: Schema.String,
  /** "invalid": the configured name is not a unit name; "error": systemctl gave no answer. */
  state: Schema.Literals([...UNIT_STATES, "invalid", "error"]),
  detail: Schema.NullOr(Schema.String)
})
export type ServiceLiveness = typeof ServiceLiveness.Type

export const Pulse = Protocol.make("PULSE", [
  Protocol.message("heartbeat", {
    doc: "the last heartbeat decision: whether WATCHDOG=1 was sent to systemd, and why (not)",
    access: "read",
    reply: Schema.Struct({
      enabled: Schema.Boolean,
      intervalMs: Schema.NullOr(Schema.Finite),
      reason: Schema.NullOr(Schema.String),
      last: Schema.NullOr(HeartbeatDecision),
      lastSentAt: Schema.NullOr(Schema.Finite)
    })
  }),
  Protocol.message("liveness", {
    doc: "the state of each watched systemd unit at the last check",
    access: "read",
    reply: Schema.Struct({
      intervalMs: Schema.Finite,
      checkedAt: Schema.NullOr(Schema.Finite),
      services: Schema.Array(ServiceLiveness)
    })
  })
])
