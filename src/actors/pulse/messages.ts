import { Schema } from "effect"

export const PulseMessages = Schema.Union([
  /** The last heartbeat decision: whether WATCHDOG=1 was sent, and why (not). */
  Schema.Struct({ type: Schema.Literal("heartbeat") }),
  /** The state of each watched systemd unit at the last check. */
  Schema.Struct({ type: Schema.Literal("liveness") })
])
export type PulseMessage = typeof PulseMessages.Type
