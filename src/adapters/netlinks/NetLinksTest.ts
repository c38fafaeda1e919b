/**
 * A table of links the test changes between samples (`set`, `update`), or a
 * failure it makes the next samples give (`fail`); each sample is stamped with
 * Effect's Clock, so TestClock decides the time between them.
 */
import { Clock, Effect, Layer } from "effect"
import { type LinkCounters, type LinkReading, NetLinks, NetLinksError } from "./NetLinks.ts"

export interface NetLinksTable {
  readonly layer: Layer.Layer<NetLinks>
  readonly set: (links: ReadonlyArray<LinkReading>) => void
  /** Changes the named link (which must be in the table). */
  readonly update: (name: string, change: (link: LinkReading) => LinkReading) => void
  /** Every sample fails with this until `set` or `update` (undefined: stop failing). */
  readonly fail: (reason: string | undefined) => void
  /** Samples taken so far. */
  readonly samples: () => number
}

export const zeroCounters: LinkCounters = {
  rxBytes: 0,
  txBytes: 0,
  rxPackets: 0,
  txPackets: 0,
  rxErrors: 0,
  txErrors: 0,
  rxDropped: 0,
  txDropped: 0
}

/** An ethernet link that is up at 1 Gbit/s, with every counter at zero; override what the test needs. */
export const link = (name: string, overrides: Partial<LinkReading> = {}): LinkReading => ({
  name,
  ifindex: 2,
  operstate: "up",
  adminUp: true,
  carrier: true,
  speedMbps: 1000,
  mtu: 1500,
  address: "52:54:00:12:34:56",
  type: 1,
  virtual: false,
  carrierChanges: 1,
  counters: zeroCounters,
  ...overrides
})

export const make = (initial: ReadonlyArray<LinkReading>): NetLinksTable => {
  let links = [...initial]
  let failure: string | undefined
  let taken = 0
  const service = NetLinks.of({
    sample: Effect.gen(function*() {
      taken++
      if (failure !== undefined) return yield* new NetLinksError({ source: "NetLinksTest", reason: failure })
      const nanos = yield* Clock.monotonicTimeNanos
      return { monotonicMs: Number(nanos / 1_000_000n), links: [...links].sort((a, b) => a.name < b.name ? -1 : 1) }
    })
  })
  return {
    layer: Layer.succeed(NetLinks, service),
    set: (next) => {
      links = [...next]
      failure = undefined
    },
    update: (name, change) => {
      links = links.map((entry) => entry.name === name ? change(entry) : entry)
      failure = undefined
    },
    fail: (reason) => {
      failure = reason
    },
    samples: () => taken
  }
}

/** A fixed table, for tests that only need PHOTON to run. */
export const layer = (links: ReadonlyArray<LinkReading>): Layer.Layer<NetLinks> => make(links).layer
