/**
 * STREAM's metrics topic through the daemon's wrapper of MetricHistory: each
 * record is one Metrics event while a subscription names it, nothing at all
 * otherwise, and the history records as before.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { streamAgent } from "../../src/actors/stream/index.ts"
import { Stream } from "../../src/actors/stream/messages.ts"
import * as MetricsTopic from "../../src/daemon/MetricsTopic.ts"
import { MetricHistory } from "../../src/history/History.ts"
import * as HistoryTest from "../../src/history/HistoryTest.ts"
import { make } from "../../src/runtime/ActorSystem.ts"
import { makeInspectionBus } from "../../src/runtime/Inspection.ts"
import { decodedReply, ROOT, tree } from "../support/agents.ts"

const sample = (value: number) => ({ name: "sigmavault_test_bytes", labels: { pool: "tank" }, value })

describe("the metrics topic", () => {
  it.effect("publishes each record as one Metrics event only while a subscription names it", () =>
    Effect.scoped(Effect.gen(function*() {
      const bus = yield* makeInspectionBus({ bufferPerSubscriber: 16, now: () => 0 })
      const history = yield* MetricHistory
      const tap = yield* MetricsTopic.MetricsTap
      tap.attach(bus)
      // Nobody listens: the record costs no event.
      yield* history.record([sample(1)])
      assert.strictEqual(bus.publishedOf("Metrics"), 0)
      // A general subscriber is not flooded with metrics either.
      yield* bus.subscribe
      yield* history.record([sample(2)])
      assert.strictEqual(bus.publishedOf("Metrics"), 0)
      const metrics = yield* bus.subscribeTo({ tags: ["Metrics"], buffer: 4 })
      yield* history.record([sample(3), sample(4), { name: "not a name", value: 1 }])
      assert.strictEqual(bus.publishedOf("Metrics"), 1)
      const event = yield* metrics.take
      assert.strictEqual(event._tag, "Metrics")
      if (event._tag === "Metrics") {
        assert.strictEqual(event.agent, MetricsTopic.METRICS_SOURCE)
        assert.deepStrictEqual(event.samples, [
          { name: "sigmavault_test_bytes", labels: { pool: "tank" }, value: 3 },
          { name: "sigmavault_test_bytes", labels: { pool: "tank" }, value: 4 }
        ])
      }
      // The history itself recorded everything valid, as without the wrapper.
      const latest = yield* history.latest("sigmavault_test_bytes")
      assert.strictEqual(latest[0]!.value, 4)
    })).pipe(Effect.provide(MetricsTopic.layer(HistoryTest.layer()))))

  it.live("reaches a STREAM subscriber of the metrics topic", () =>
    Effect.scoped(Effect.gen(function*() {
      const system = yield* make({ root: tree("T", "one_for_one", [streamAgent]) })
      const history = yield* MetricHistory
      const tap = yield* MetricsTopic.MetricsTap
      tap.attach(system.inspection)
      yield* system.injectAsk(ROOT, "STREAM", { type: "subscribe", subscriber: "m", topics: ["metrics"], buffer: 2, confirm: true })
      for (let i = 0; i < 5; i++) yield* history.record([sample(i)])
      const taken = decodedReply(
        Stream.get("take")!,
        yield* system.injectAsk(ROOT, "STREAM", { type: "take", subscriber: "m" })
      ) as { events: ReadonlyArray<{ _tag: string; samples?: ReadonlyArray<{ value: number }> }>; lost: number }
      assert.deepStrictEqual(taken.events.map((e) => e.samples![0]!.value), [3, 4])
      assert.strictEqual(taken.lost, 3)
    })).pipe(Effect.provide(MetricsTopic.layer(HistoryTest.layer()))))
})
