/**
 * STREAM's `metrics` topic (docs/topics.md): the daemon's MetricHistory,
 * wrapped so that each `record` also publishes its batch as one `Metrics`
 * inspection event — only while some subscription names that event, so it
 * costs one test of a counter otherwise. MetricHistory's interface is
 * unchanged: agents record as before and never know.
 *
 * The history exists before the actor system (the agents are given it), so
 * the wrapper publishes through a tap the daemon attaches to the system's
 * inspection bus once it runs (`MetricsTap`); until then, and after it
 * detaches, nothing is published.
 */
import { Context, Effect, Layer } from "effect"
import { invalidSample, MetricHistory, type MetricHistoryShape, type Sample } from "../history/History.ts"
import type { InspectionBus } from "../runtime/Inspection.ts"

/** The `agent` field of the Metrics events the wrapper publishes: the history records for every agent. */
export const METRICS_SOURCE = "HISTORY"

export interface MetricsTapShape {
  /** Publishes through this bus from now on; returns the detach. */
  readonly attach: (bus: Pick<InspectionBus, "wants" | "publish">) => () => void
}

export class MetricsTap extends Context.Service<MetricsTap, MetricsTapShape>()("sigmavault/daemon/MetricsTap") {}

/** The wrapper: `record` as the inner history does it, then the batch on the bus if someone wants it. */
export const publishing = (inner: MetricHistoryShape): { readonly history: MetricHistoryShape; readonly tap: MetricsTapShape } => {
  let bus: Pick<InspectionBus, "wants" | "publish"> | undefined
  const publish = (target: Pick<InspectionBus, "publish">, samples: ReadonlyArray<Sample>) =>
    Effect.suspend(() => {
      const batch = samples
        .filter((s) => invalidSample(s) === undefined)
        .map((s) => ({ name: s.name, labels: { ...(s.labels ?? {}) }, value: s.value }))
      return batch.length === 0 ? Effect.void : target.publish({ _tag: "Metrics", agent: METRICS_SOURCE, samples: batch })
    })
  return {
    history: {
      ...inner,
      // Decided as the record is made (just before it runs): unwatched, it is the inner record itself, with nothing around it.
      record: (samples) => {
        const target = bus
        return target === undefined || !target.wants("Metrics")
          ? inner.record(samples)
          : Effect.tap(inner.record(samples), () => publish(target, samples))
      }
    },
    tap: {
      attach: (target) => {
        bus = target
        return () => {
          if (bus === target) bus = undefined
        }
      }
    }
  }
}

/** The history layer given, wrapped: MetricHistory (publishing) and its MetricsTap. */
export const layer = <E, R>(history: Layer.Layer<MetricHistory, E, R>): Layer.Layer<MetricHistory | MetricsTap, E, R> =>
  Layer.effectContext(Effect.gen(function*() {
    const wrapped = publishing(yield* MetricHistory)
    return Context.make(MetricHistory, wrapped.history).pipe(Context.add(MetricsTap, wrapped.tap))
  })).pipe(Layer.provide(history))
