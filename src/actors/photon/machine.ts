/**
 * PHOTON: network links. It samples /sys/class/net every interval, keeps the
 * last two samples, and answers from them: each link's condition, speed,
 * counters, and throughput and error rates between the two. Links going down,
 * error bursts and carrier flapping are alerts (raised once, cleared once; see
 * links.ts). Queries never read the kernel themselves: every answer is the
 * latest sample's, stamped with when it was taken.
 */
import { Clock, Effect } from "effect"
import { type LinkCounters, NetLinks } from "../../adapters/netlinks/NetLinks.ts"
import { MetricHistory, type Sample } from "../../history/History.ts"
import { AgentEnv, type Capability } from "../../runtime/Agent.ts"
import { serviceMachine } from "../shared/serve.ts"
import { KIND_CODES } from "./codes.ts"
import { PhotonConfig } from "./config.ts"
import { type Book, emptyBook, step } from "./links.ts"
import { type InterfaceReport, NoSampleYet, NoSuchInterface, Photon } from "./messages.ts"

export const photonCapabilities: ReadonlyArray<Capability> = [
  {
    name: "interface-stats",
    available: true,
    detail: "samples /sys/class/net on an interval: operstate, carrier, speed, mtu, address, counters; throughput and error rates between samples, counter wraps and resets handled"
  },
  {
    name: "link-alerts",
    available: true,
    detail: "alerts when a link that was up goes down, on error bursts and on carrier flapping; each raised once and cleared once"
  }
]

/** Raised/cleared transitions kept for `alerts`, newest last. */
const ALERT_HISTORY_LIMIT = 100

const COUNTER_METRICS: ReadonlyArray<readonly [keyof LinkCounters, string]> = [
  ["rxBytes", "sigmavault_network_receive_bytes_total"],
  ["txBytes", "sigmavault_network_transmit_bytes_total"],
  ["rxPackets", "sigmavault_network_receive_packets_total"],
  ["txPackets", "sigmavault_network_transmit_packets_total"],
  ["rxErrors", "sigmavault_network_receive_errors_total"],
  ["txErrors", "sigmavault_network_transmit_errors_total"],
  ["rxDropped", "sigmavault_network_receive_drop_total"],
  ["txDropped", "sigmavault_network_transmit_drop_total"]
]

/**
 * Containers' veth ends come and go under new names with every container:
 * recorded, each would be a new series kept for the history's whole
 * retention, until the series cap refused everything new (a new pool's
 * included). Their traffic is the host's bridge's too, which is recorded.
 */
const churns = (report: InterfaceReport) => report.virtual && report.name.startsWith("veth")

/** What one sample puts in the metric history: each link's state and the kernel's counters (what the kernel does not say is left out). */
export const samplesOf = (reports: ReadonlyArray<InterfaceReport>): Array<Sample> =>
  reports.filter((report) => !churns(report)).flatMap((report) => {
    const labels = { interface: report.name }
    const samples: Array<Sample> = [{ name: "sigmavault_network_up", labels, value: report.condition === "up" ? 1 : 0 }]
    // The kernel reports -1 (or nothing) for a link without a known speed.
    if (report.speedMbps !== null && report.speedMbps > 0) samples.push({ name: "sigmavault_network_speed_bytes", labels, value: report.speedMbps * 125_000 })
    if (report.mtu !== null) samples.push({ name: "sigmavault_network_mtu_bytes", labels, value: report.mtu })
    for (const [counter, name] of COUNTER_METRICS) {
      const value = report.counters[counter]
      if (value !== null) samples.push({ name, labels, value })
    }
    if (report.carrierChanges !== null) samples.push({ name: "sigmavault_network_carrier_changes_total", labels, value: report.carrierChanges })
    return samples
  })

export const photonMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const netLinks = yield* NetLinks
  const config = yield* PhotonConfig
  const history = yield* MetricHistory

  let book: Book = emptyBook
  let lastError: string | undefined

  const sample = Effect.gen(function*() {
    const links = yield* netLinks.sample
    const at = yield* Clock.currentTimeMillis
    if (lastError !== undefined) yield* Effect.logInfo(`reading /sys/class/net works again after: ${lastError}`)
    lastError = undefined
    const next = step(book, links, at, config, ALERT_HISTORY_LIMIT)
    book = next.book
    yield* history.record(samplesOf(next.book.reports))
    yield* Effect.forEach(
      next.transitions,
      (transition) => env.alert({ severity: transition.severity, subject: `link ${transition.interface}`, text: transition.text, code: KIND_CODES[transition.kind] }),
      { discard: true }
    )
  }).pipe(
    // A failure that repeats every interval is logged once, when it starts.
    Effect.catch((error) =>
      error.message === lastError
        ? Effect.void
        : Effect.sync(() => (lastError = error.message)).pipe(
          Effect.andThen(Effect.logWarning(`cannot read /sys/class/net: ${error.message}`))
        )
    )
  )

  const sampled = Effect.suspend(() =>
    book.latest === undefined
      ? Effect.fail(new NoSampleYet({ lastError: lastError ?? null }))
      : Effect.succeed({ sampledAt: book.sampledAt, intervalMs: config.intervalMs, reports: book.reports })
  )

  return yield* serviceMachine(Photon, {
    every: { intervalMs: config.intervalMs, run: sample },
    handlers: {
      interfaces: () =>
        Effect.map(sampled, ({ intervalMs, reports, sampledAt }) => ({ sampledAt, intervalMs, interfaces: reports })),
      interface: ({ name }) =>
        Effect.flatMap(sampled, ({ intervalMs, reports, sampledAt }) => {
          const found = reports.find((report) => report.name === name)
          return found === undefined
            ? Effect.fail(new NoSuchInterface({ name, known: reports.map((report) => report.name) }))
            : Effect.succeed({ sampledAt, intervalMs, interface: found })
        }),
      alerts: () =>
        Effect.succeed({
          active: [...book.active.values()],
          history: book.history,
          settings: {
            intervalMs: config.intervalMs,
            errorBurst: config.errorBurst,
            flapChanges: config.flapChanges,
            flapWindowMs: config.flapWindowMs
          }
        })
    }
  })
})
