/**
 * PHOTON: network links. It samples /sys/class/net every interval, keeps the
 * last two samples, and answers from them: each link's condition, speed,
 * counters, and throughput and error rates between the two. Links going down,
 * error bursts and carrier flapping are alerts (raised once, cleared once; see
 * links.ts). Queries never read the kernel themselves: every answer is the
 * latest sample's, stamped with when it was taken.
 */
import { Clock, Effect } from "effect"
import { NetLinks } from "../../adapters/netlinks/NetLinks.ts"
import { AgentEnv, type Capability } from "../../runtime/Agent.ts"
import { serviceMachine } from "../shared/serve.ts"
import { PhotonConfig } from "./config.ts"
import { type Book, emptyBook, step } from "./links.ts"
import { NoSampleYet, NoSuchInterface, Photon } from "./messages.ts"

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

export const photonMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const netLinks = yield* NetLinks
  const config = yield* PhotonConfig

  let book: Book = emptyBook
  let lastError: string | undefined

  const sample = Effect.gen(function*() {
    const links = yield* netLinks.sample
    const at = yield* Clock.currentTimeMillis
    if (lastError !== undefined) yield* Effect.logInfo(`reading /sys/class/net works again after: ${lastError}`)
    lastError = undefined
    const next = step(book, links, at, config, ALERT_HISTORY_LIMIT)
    book = next.book
    yield* Effect.forEach(
      next.transitions,
      (transition) => env.alert({ severity: transition.severity, subject: `link ${transition.interface}`, text: transition.text }),
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
