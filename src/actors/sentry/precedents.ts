/**
 * SENTRY's memory of past alerts, kept in MNEMONIC: when an alert is raised,
 * the whole situation (CPU, memory, load, busiest disk) is a point in a small
 * vector space; the nearest earlier alerts are recalled before it is
 * remembered, so the log and the alert history say "this looks like the
 * memory alert of last Tuesday". Memory is an aid: when it fails, alerts still
 * raise and clear, and the failure is logged once.
 */
import { Effect } from "effect"
import { featureVector, type FeatureSpec } from "../../memory/Embed.ts"
import type { MemoryShape } from "../../memory/Memory.ts"
import type { AlertTransition } from "./hysteresis.ts"
import type { Metrics } from "./utilisation.ts"
import type { Precedent } from "./messages.ts"

export type { Precedent } from "./messages.ts"

export const COLLECTION = "sentry-alerts"
/** Recalled alerts farther than this (squared L2 over features scaled to [0, 1]: about 10 points on each) are not alike. */
export const ALIKE_DISTANCE = 0.04
const RECALLED = 3

const FEATURES: ReadonlyArray<FeatureSpec> = [
  { name: "cpu", max: 100 },
  { name: "memory", max: 100 },
  { name: "load", max: 4 },
  { name: "disk", max: 100 }
]


export const situation = (metrics: Metrics): ReadonlyArray<number> =>
  Array.from(featureVector(FEATURES, {
    cpu: metrics.cpu.busyPercent,
    memory: metrics.memory.usedPercent,
    load: metrics.load.perCpu,
    disk: Math.max(0, ...metrics.disks.map((disk) => disk.utilPercent))
  }))

const asPrecedent = (match: { readonly meta: Readonly<Record<string, unknown>>; readonly distance?: number }): Precedent => ({
  key: String(match.meta["key"]),
  at: Number(match.meta["at"]),
  value: Number(match.meta["value"]),
  distance: match.distance ?? 0
})

/** Recalls the alerts most like `raised`'s situation, then remembers it. */
export const recallAndRemember = (
  memory: MemoryShape,
  raised: AlertTransition,
  vector: ReadonlyArray<number>
) =>
  Effect.gen(function*() {
    yield* memory.create(COLLECTION, "vector", { dimension: FEATURES.length, space: "l2" })
    const recalled = yield* memory.recall(COLLECTION, { vector, k: RECALLED, mode: "similar" })
    yield* memory.remember({
      collection: COLLECTION,
      id: `${raised.key}@${new Date(raised.at).toISOString()}`,
      vector,
      meta: { key: raised.key, at: raised.at, value: raised.value, threshold: raised.threshold }
    })
    return recalled.matches.filter((match) => (match.distance ?? 0) <= ALIKE_DISTANCE).map(asPrecedent)
  })

export const describePrecedents = (precedents: ReadonlyArray<Precedent>): string =>
  precedents.length === 0
    ? "no earlier alert looked like it"
    : `it looks like ${precedents.length} earlier alert${precedents.length === 1 ? "" : "s"}: ` +
      precedents.map((p) => `${p.key} at ${new Date(p.at).toISOString()}`).join(", ")
