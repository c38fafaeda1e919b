/**
 * PHOTON's model, pure: two consecutive samples of /sys/class/net become each
 * link's condition and rates, and the alerts that changed. Alerts are states,
 * not events: each (link, kind) is raised once and cleared once, so a link
 * that stays down, or keeps erring, is one alert, not one per sample.
 */
import type { LinkCounters, LinkReading, LinkSample } from "../../adapters/netlinks/NetLinks.ts"
import type { PhotonConfigShape } from "./config.ts"
import type { ActiveAlert, AlertKind, AlertTransition, InterfaceReport, LinkCondition, Rates } from "./messages.ts"

const TWO_32 = 2 ** 32

export interface CounterDelta {
  readonly delta: number
  /** The counter went backwards and was not a 32-bit wrap: it started again from zero. */
  readonly reset: boolean
}

/**
 * What a cumulative counter counted between two readings. Some drivers keep
 * 32-bit counters that wrap at 2^32: a drop from the upper half of that range
 * is such a wrap. Any other drop is a reset (the link re-created, the driver
 * reloaded), and the new value is what was counted since — Prometheus's rule.
 */
export const counterDelta = (before: number | null, after: number | null): CounterDelta | null => {
  if (before === null || after === null) return null
  if (after >= before) return { delta: after - before, reset: false }
  if (before < TWO_32 && before >= TWO_32 / 2) return { delta: TWO_32 - before + after, reset: false }
  return { delta: after, reset: true }
}

const perSecond = (delta: CounterDelta | null, seconds: number) => delta === null ? null : delta.delta / seconds

/** Rates between two readings of one link, `intervalMs` apart; null for an interval too short to measure. */
export const ratesBetween = (before: LinkReading, after: LinkReading, intervalMs: number): Rates | null => {
  if (!(intervalMs > 0)) return null
  // The same name with a new index is a new link: everything it counted is new.
  const recreated = before.ifindex !== null && after.ifindex !== null && before.ifindex !== after.ifindex
  const delta = (key: keyof LinkCounters): CounterDelta | null =>
    recreated
      ? after.counters[key] === null ? null : { delta: after.counters[key], reset: true }
      : counterDelta(before.counters[key], after.counters[key])
  const deltas = {
    rxBytes: delta("rxBytes"),
    txBytes: delta("txBytes"),
    rxPackets: delta("rxPackets"),
    txPackets: delta("txPackets"),
    rxErrors: delta("rxErrors"),
    txErrors: delta("txErrors"),
    rxDropped: delta("rxDropped"),
    txDropped: delta("txDropped")
  }
  const seconds = intervalMs / 1000
  const errors = [deltas.rxErrors, deltas.txErrors].filter((d): d is CounterDelta => d !== null)
  return {
    intervalMs,
    rxBytesPerSecond: perSecond(deltas.rxBytes, seconds),
    txBytesPerSecond: perSecond(deltas.txBytes, seconds),
    rxPacketsPerSecond: perSecond(deltas.rxPackets, seconds),
    txPacketsPerSecond: perSecond(deltas.txPackets, seconds),
    rxErrorsPerSecond: perSecond(deltas.rxErrors, seconds),
    txErrorsPerSecond: perSecond(deltas.txErrors, seconds),
    rxDroppedPerSecond: perSecond(deltas.rxDropped, seconds),
    txDroppedPerSecond: perSecond(deltas.txDropped, seconds),
    newErrors: errors.length === 0 ? null : errors.reduce((sum, d) => sum + d.delta, 0),
    countersReset: Object.values(deltas).some((d) => d?.reset === true)
  }
}

/** What a user means by "is the link up": the administrator's flag first, then the carrier, then operstate. */
export const conditionOf = (link: LinkReading): LinkCondition => {
  if (link.adminUp === false) return "disabled"
  if (link.carrier === false) return "down"
  if (link.operstate === "down" || link.operstate === "lowerlayerdown" || link.operstate === "notpresent") return "down"
  if (link.operstate === "up" || link.carrier === true) return "up"
  return "unknown"
}

/** One reading of a link's carrier-change counter, for the flap window. */
export interface FlapPoint {
  readonly atMs: number
  readonly changes: number
}

export interface Book {
  readonly previous: LinkSample | undefined
  readonly latest: LinkSample | undefined
  /** Wall-clock time of `latest`. */
  readonly sampledAt: number
  readonly reports: ReadonlyArray<InterfaceReport>
  readonly flaps: ReadonlyMap<string, ReadonlyArray<FlapPoint>>
  /** Links seen up at least once: a port never plugged in is not "down". */
  readonly seenUp: ReadonlySet<string>
  /** By `interface:kind`. */
  readonly active: ReadonlyMap<string, ActiveAlert>
  /** Newest last, at most `historyLimit`. */
  readonly history: ReadonlyArray<AlertTransition>
}

export const emptyBook: Book = {
  previous: undefined,
  latest: undefined,
  sampledAt: 0,
  reports: [],
  flaps: new Map(),
  seenUp: new Set(),
  active: new Map(),
  history: []
}

export interface Transition extends AlertTransition {
  readonly severity: "info" | "warning"
}

/** Carrier changes in the window that ends now: the newest reading minus the oldest kept. */
export const recentChanges = (points: ReadonlyArray<FlapPoint>): number =>
  points.length < 2 ? 0 : points[points.length - 1]!.changes - points[0]!.changes

const nextFlaps = (points: ReadonlyArray<FlapPoint> | undefined, link: LinkReading, nowMs: number, windowMs: number) => {
  if (link.carrierChanges === null) return []
  const kept = (points ?? []).filter((point) => point.atMs >= nowMs - windowMs)
  const last = kept[kept.length - 1]
  // A counter that went backwards belongs to a re-created link: its history starts again.
  const start = last !== undefined && link.carrierChanges < last.changes ? [] : kept
  return [...start, { atMs: nowMs, changes: link.carrierChanges }]
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`

const downText = (link: LinkReading): string =>
  link.adminUp === false
    ? `${link.name} was set down by an administrator`
    : `${link.name} is down: ${link.carrier === false ? "no carrier" : "not running"} (operstate ${link.operstate})`

const upText = (link: LinkReading): string =>
  `${link.name} is up again${link.speedMbps === null ? "" : ` at ${link.speedMbps} Mbit/s`}`

/**
 * Folds a new sample into the book: the reports of every link, and the alerts
 * raised and cleared, stamped `at` (wall clock).
 */
export const step = (
  book: Book,
  sample: LinkSample,
  at: number,
  config: Pick<PhotonConfigShape, "errorBurst" | "flapChanges" | "flapWindowMs">,
  historyLimit: number
): { readonly book: Book; readonly transitions: ReadonlyArray<Transition> } => {
  const before = new Map((book.latest?.links ?? []).map((link) => [link.name, link]))
  const intervalMs = book.latest === undefined ? 0 : sample.monotonicMs - book.latest.monotonicMs
  const active = new Map(book.active)
  const seenUp = new Set(book.seenUp)
  const flaps = new Map<string, ReadonlyArray<FlapPoint>>()
  const transitions: Array<Transition> = []

  const raise = (name: string, kind: AlertKind, text: string, severity: Transition["severity"] = "warning") => {
    const key = `${name}:${kind}`
    if (active.has(key)) return
    active.set(key, { interface: name, kind, since: at, text })
    transitions.push({ interface: name, kind, change: "raised", at, text, severity })
  }
  const clear = (name: string, kind: AlertKind, text: string) => {
    const key = `${name}:${kind}`
    if (!active.delete(key)) return
    transitions.push({ interface: name, kind, change: "cleared", at, text, severity: "info" })
  }

  const reports = sample.links.map((link): InterfaceReport => {
    const points = nextFlaps(book.flaps.get(link.name), link, sample.monotonicMs, config.flapWindowMs)
    flaps.set(link.name, points)
    const previous = before.get(link.name)
    const rates = previous === undefined ? null : ratesBetween(previous, link, intervalMs)
    const condition = conditionOf(link)
    const recent = recentChanges(points)

    if (recent >= config.flapChanges) {
      raise(link.name, "flapping", `${link.name} is flapping: ${recent} carrier changes in the last ${seconds(config.flapWindowMs)}`)
    } else if (recent === 0) {
      clear(link.name, "flapping", `${link.name} stopped flapping: no carrier change in ${seconds(config.flapWindowMs)}`)
    }
    // While a link flaps, its flapping alert says it all: no down/up alert per sample.
    if (condition === "up") {
      seenUp.add(link.name)
      clear(link.name, "down", upText(link))
    } else if ((condition === "down" || condition === "disabled") && seenUp.has(link.name) && !active.has(`${link.name}:flapping`)) {
      raise(link.name, "down", downText(link), condition === "disabled" ? "info" : "warning")
    }

    if (rates?.newErrors != null) {
      if (rates.newErrors >= config.errorBurst) {
        raise(
          link.name,
          "errors",
          `${link.name}: ${rates.newErrors} errors in ${seconds(intervalMs)} (at least ${config.errorBurst} raise an alert)`
        )
      } else if (rates.newErrors === 0) {
        clear(link.name, "errors", `${link.name}: no errors in the last ${seconds(intervalMs)}`)
      }
    }

    return {
      name: link.name,
      condition,
      operstate: link.operstate,
      adminUp: link.adminUp,
      carrier: link.carrier,
      speedMbps: link.speedMbps,
      mtu: link.mtu,
      address: link.address,
      type: link.type,
      virtual: link.virtual,
      carrierChanges: link.carrierChanges,
      recentCarrierChanges: recent,
      counters: link.counters,
      rates
    }
  })

  // A link that is gone: a software one (a container's veth) simply ends; a device that was up is down, until it is back.
  const present = new Set(sample.links.map((link) => link.name))
  for (const [name, link] of before) {
    if (present.has(name)) continue
    for (const kind of ["errors", "flapping"] as const) clear(name, kind, `${name} is gone`)
    if (link.virtual) {
      clear(name, "down", `${name} is gone`)
      seenUp.delete(name)
    } else if (seenUp.has(name)) {
      raise(name, "down", `${name} is gone: the device disappeared`)
    }
  }

  const history = [...book.history, ...transitions.map(({ severity: _, ...transition }) => transition)].slice(-historyLimit)
  return {
    book: { previous: book.latest, latest: sample, sampledAt: at, reports, flaps, seenUp, active, history },
    transitions
  }
}
