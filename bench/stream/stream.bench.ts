/**
 * `streamTopics`: what STREAM's topics cost where nobody is watching, and
 * what a watcher costs, in the same run, alternating rounds (median of them):
 *
 * - record: MetricHistory.record of one sample into a history that answers at
 *   once (the anchor), against the same history wrapped for the metrics topic
 *   (src/daemon/MetricsTopic.ts) with nobody subscribed. Goal: ratio ≈ 1
 *   (one counter lookup per record).
 * - publish: an Alert on the inspection bus with no subscriber (the anchor),
 *   with four subscriptions to other topics (they must not pay for it), and
 *   with four subscriptions to `alerts`, drained as they go (the cost of
 *   delivering to four buffers).
 */
import { Effect } from "effect"
import * as MetricsTopic from "../../src/daemon/MetricsTopic.ts"
import * as HistoryTest from "../../src/history/HistoryTest.ts"
import { type FilteredSubscriber, makeInspectionBus } from "../../src/runtime/Inspection.ts"
import { now, round } from "../support.ts"

const ROUNDS = 15
const OPS = Number(process.env.BENCH_STREAM_OPS ?? 20_000)

const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** ns per op of `run` over OPS operations. */
const time = (run: (i: number) => void) => {
  const start = now()
  for (let i = 0; i < OPS; i++) run(i)
  return ((now() - start) * 1e6) / OPS
}

export const streamTopics = async () =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    // The inner history answers at once, so the figure is the wrapper's own cost, not the store's.
    const inner = yield* HistoryTest.make()
    const raw = { ...inner, record: (samples: ReadonlyArray<unknown>) => Effect.succeed({ accepted: samples.length, refused: 0 }) }
    const wrapped = MetricsTopic.publishing(raw)
    const quietBus = yield* makeInspectionBus({ bufferPerSubscriber: 1024, now: Date.now })
    wrapped.tap.attach(quietBus)
    const sample = (i: number) => [{ name: "sigmavault_bench_value", labels: { n: String(i % 16) }, value: i }]

    const none = yield* makeInspectionBus({ bufferPerSubscriber: 1024, now: Date.now })
    const others = yield* makeInspectionBus({ bufferPerSubscriber: 1024, now: Date.now })
    for (const tags of [["Progress"], ["Incident"], ["Metrics"], ["Started", "Stopped"]] as const) {
      yield* others.subscribeTo({ tags, buffer: 1024 })
    }
    const watched = yield* makeInspectionBus({ bufferPerSubscriber: 1024, now: Date.now })
    const alertSubs: Array<FilteredSubscriber> = []
    for (let i = 0; i < 4; i++) alertSubs.push(yield* watched.subscribeTo({ tags: ["Alert"], buffer: 1024 }))
    const alert = { _tag: "Alert" as const, agent: "BENCH", severity: "info" as const, subject: "s", text: "t" }

    const rows = { recordRaw: [] as Array<number>, recordWrapped: [] as Array<number>, publishNone: [] as Array<number>, publishOthers: [] as Array<number>, publishWatched: [] as Array<number> }
    for (let r = 0; r < ROUNDS; r++) {
      rows.recordRaw.push(time((i) => Effect.runSync(raw.record(sample(i)))))
      rows.recordWrapped.push(time((i) => Effect.runSync(wrapped.history.record(sample(i)))))
      rows.publishNone.push(time(() => Effect.runSync(none.publish(alert))))
      rows.publishOthers.push(time(() => Effect.runSync(others.publish(alert))))
      rows.publishWatched.push(time(() => {
        Effect.runSync(watched.publish(alert))
        for (const sub of alertSubs) sub.poll()
      }))
    }
    const m = Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, median(v)])) as Record<keyof typeof rows, number>
    return {
      opsPerRound: OPS,
      rounds: ROUNDS,
      recordNs: { anchor: round(m.recordRaw), wrappedNobodyWatching: round(m.recordWrapped), ratio: round(m.recordWrapped / m.recordRaw, 3) },
      publishAlertNs: {
        anchorNoSubscriber: round(m.publishNone),
        fourOtherTopics: round(m.publishOthers),
        fourAlertSubscribers: round(m.publishWatched),
        ratioOtherTopics: round(m.publishOthers / m.publishNone, 3),
        ratioFourSubscribers: round(m.publishWatched / m.publishNone, 3)
      },
      goal: "recordNs.ratio ≈ 1: the metrics topic costs nothing while nobody subscribes"
    }
  })))
