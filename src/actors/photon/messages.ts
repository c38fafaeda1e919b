/** PHOTON's protocol: the single source of its message schemas, replies, rejections and access classes. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"

/** Linux interface names: at most 15 bytes (IFNAMSIZ - 1), no '/', no blanks, not '.' or '..'. */
const InterfaceName = Schema.String.check(
  Schema.isPattern(/^(?!\.{1,2}$)[A-Za-z0-9_.:@-]{1,15}$/, { expected: "a network interface name, e.g. eth0 or enp3s0" })
)

const EpochMs = Schema.Finite
const Count = Schema.NullOr(Schema.Finite)

export const OperState = Schema.Literals(["unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up"])

export const Counters = Schema.Struct({
  rxBytes: Count,
  txBytes: Count,
  rxPackets: Count,
  txPackets: Count,
  rxErrors: Count,
  txErrors: Count,
  rxDropped: Count,
  txDropped: Count
})

/** Between the two latest samples; a rate is null when its counter is unknown in either sample. */
export const Rates = Schema.Struct({
  intervalMs: Schema.Finite,
  rxBytesPerSecond: Count,
  txBytesPerSecond: Count,
  rxPacketsPerSecond: Count,
  txPacketsPerSecond: Count,
  rxErrorsPerSecond: Count,
  txErrorsPerSecond: Count,
  rxDroppedPerSecond: Count,
  txDroppedPerSecond: Count,
  /** rx + tx errors counted in the interval. */
  newErrors: Count,
  /** A counter went backwards and was not a 32-bit wrap: the link was re-created or its driver reset it; its delta counts from zero. */
  countersReset: Schema.Boolean
})
export type Rates = typeof Rates.Type

/** up: carrying traffic; down: no carrier while administratively up; disabled: set down; unknown: the kernel does not say. */
export const LinkCondition = Schema.Literals(["up", "down", "disabled", "unknown"])
export type LinkCondition = typeof LinkCondition.Type

export const InterfaceReport = Schema.Struct({
  name: Schema.String,
  condition: LinkCondition,
  operstate: OperState,
  adminUp: Schema.NullOr(Schema.Boolean),
  /** null: unknown (a down or virtual link, where the kernel answers EINVAL). */
  carrier: Schema.NullOr(Schema.Boolean),
  speedMbps: Schema.NullOr(Schema.Finite),
  mtu: Schema.NullOr(Schema.Int),
  address: Schema.NullOr(Schema.String),
  /** ARPHRD_* type: 1 ethernet, 772 loopback, 65534 none. */
  type: Schema.NullOr(Schema.Int),
  virtual: Schema.Boolean,
  carrierChanges: Schema.NullOr(Schema.Finite),
  /** Carrier changes within the flap window (2 per down-and-up). */
  recentCarrierChanges: Schema.Finite,
  counters: Counters,
  /** null until the link has been seen in two samples. */
  rates: Schema.NullOr(Rates)
})
export type InterfaceReport = typeof InterfaceReport.Type

export const AlertKind = Schema.Literals(["down", "errors", "flapping"])
export type AlertKind = typeof AlertKind.Type

export const ActiveAlert = Schema.Struct({
  interface: Schema.String,
  kind: AlertKind,
  since: EpochMs,
  text: Schema.String
})
export type ActiveAlert = typeof ActiveAlert.Type

export const AlertTransition = Schema.Struct({
  interface: Schema.String,
  kind: AlertKind,
  change: Schema.Literals(["raised", "cleared"]),
  at: EpochMs,
  text: Schema.String
})
export type AlertTransition = typeof AlertTransition.Type

export const Settings = Schema.Struct({
  intervalMs: Schema.Int,
  errorBurst: Schema.Int,
  flapChanges: Schema.Int,
  flapWindowMs: Schema.Int
})

const Sampled = {
  /** Wall-clock time of the latest sample. */
  sampledAt: EpochMs,
  /** Milliseconds between the periodic samples. */
  intervalMs: Schema.Int
}

export class NoSampleYet extends Schema.TaggedError<NoSampleYet>()("NoSampleYet", {
  lastError: Schema.NullOr(Schema.String)
}) {
  override get message() {
    return "no reading of /sys/class/net yet" + (this.lastError === null ? "" : `: ${this.lastError}`)
  }
}

export class NoSuchInterface extends Schema.TaggedError<NoSuchInterface>()("NoSuchInterface", {
  name: Schema.String,
  known: Schema.Array(Schema.String)
}) {
  override get message() {
    return `no network interface named '${this.name}'; the interfaces are ${this.known.join(", ") || "none"}`
  }
}

export const Photon = Protocol.make("PHOTON", [
  Protocol.message("interfaces", {
    doc: "every network interface from the latest sample: link state, speed, counters, throughput and error rates",
    access: "read",
    reply: Schema.Struct({ ...Sampled, interfaces: Schema.Array(InterfaceReport) }),
    rejections: [NoSampleYet]
  }),
  Protocol.message("interface", {
    doc: "one network interface from the latest sample",
    access: "read",
    fields: {
      name: InterfaceName
    },
    reply: Schema.Struct({ ...Sampled, interface: InterfaceReport }),
    rejections: [NoSuchInterface, NoSampleYet]
  }),
  Protocol.message("alerts", {
    doc: "active link alerts (down, error bursts, flapping), the recent raises and clears, and the settings",
    access: "read",
    reply: Schema.Struct({ active: Schema.Array(ActiveAlert), history: Schema.Array(AlertTransition), settings: Settings })
  })
])
