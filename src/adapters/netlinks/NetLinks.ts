/**
 * Port: the kernel's view of the network links, one sample of all of them at
 * a time, from /sys/class/net. Counters are cumulative since each link was
 * created; rates come from the difference between two samples (the PHOTON
 * agent's `links.ts`). What the kernel will not say about a link — `carrier`
 * and `speed` of a link that is down, `speed` of most virtual links — is
 * `null` ("unknown"), never a failure.
 */
import { Context, type Effect, Schema } from "effect"

/** RFC 2863 operational states, as /sys/class/net/IF/operstate spells them. */
export const OPERSTATES = ["unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up"] as const
export type OperState = typeof OPERSTATES[number]

/** The counters of /sys/class/net/IF/statistics that PHOTON reads; `null`: the kernel did not give one. */
export interface LinkCounters {
  readonly rxBytes: number | null
  readonly txBytes: number | null
  readonly rxPackets: number | null
  readonly txPackets: number | null
  readonly rxErrors: number | null
  readonly txErrors: number | null
  readonly rxDropped: number | null
  readonly txDropped: number | null
}

export const COUNTER_FILES: { readonly [K in keyof LinkCounters]: string } = {
  rxBytes: "rx_bytes",
  txBytes: "tx_bytes",
  rxPackets: "rx_packets",
  txPackets: "tx_packets",
  rxErrors: "rx_errors",
  txErrors: "tx_errors",
  rxDropped: "rx_dropped",
  txDropped: "tx_dropped"
}

export interface LinkReading {
  readonly name: string
  /** The kernel's index; a link deleted and created again under the same name gets a new one. */
  readonly ifindex: number | null
  readonly operstate: OperState
  /** IFF_UP of `flags`: the administrator's up/down (`ip link set … up|down`). */
  readonly adminUp: boolean | null
  /** Physical link (cable, peer); unknown on a link that is administratively down. */
  readonly carrier: boolean | null
  /** Mbit/s; unknown when down or when the driver does not say. */
  readonly speedMbps: number | null
  readonly mtu: number | null
  /** Link-layer address, e.g. "52:54:00:12:34:56"; null when it has none. */
  readonly address: string | null
  /** ARPHRD_* link type: 1 ethernet, 772 loopback, 65534 none (tun, wireguard). */
  readonly type: number | null
  /** Under /sys/devices/virtual: a software link (lo, veth, bridge, bond, tun) rather than a device. */
  readonly virtual: boolean
  /** How many times the carrier went up or down since the link was created (Linux 3.15+). */
  readonly carrierChanges: number | null
  readonly counters: LinkCounters
}

export interface LinkSample {
  /** Monotonic time of the sample (Effect's Clock), in milliseconds; only differences mean anything. */
  readonly monotonicMs: number
  /** Sorted by name. */
  readonly links: ReadonlyArray<LinkReading>
}

/** /sys/class/net itself could not be listed. */
export class NetLinksError extends Schema.TaggedError<NetLinksError>()("NetLinksError", {
  source: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${this.source}: ${this.reason}`
  }
}

export class NetLinks extends Context.Service<NetLinks, {
  readonly sample: Effect.Effect<LinkSample, NetLinksError>
}>()("sigmavault/adapters/netlinks/NetLinks") {}
