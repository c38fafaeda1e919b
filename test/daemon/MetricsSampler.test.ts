/**
 * The runtime sampler: one `record` batch of the runtime's metrics per
 * interval, on Effect's Clock, with each agent's exact counts.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import * as MetricsSampler from "../../src/daemon/MetricsSampler.ts"
import { type LatestSample, MetricHistory } from "../../src/history/History.ts"
import * as HistoryTest from "../../src/history/HistoryTest.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import { counterAgent, ROOT, tree } from "../support/agents.ts"

const INTERVAL = 10_000
const RUNTIME_METRICS = [
  "sigmavault_agent_latency_p99_seconds",
  "sigmavault_agent_mailbox_depth",
  "sigmavault_agent_messages_total",
  "sigmavault_agent_restarts_total",
  "sigmavault_agent_up",
  "sigmavault_dead_letters_total"
]

/** The newest value of every series, as `name{agent}` → value. */
const latestOf = (latest: ReadonlyArray<LatestSample>) =>
  Object.fromEntries(latest.map((s) => [s.labels.agent === undefined ? s.name : `${s.name}{${s.labels.agent}}`, s.value]))

const withSystem = <A, E>(body: (system: ActorSystem.ActorSystem) => Effect.Effect<A, E, MetricHistory>) =>
  Effect.gen(function*() {
    const system = yield* ActorSystem.make({
      root: tree("root", "one_for_one", [counterAgent("A"), counterAgent("B"), counterAgent("C", { restart: "temporary" })])
    })
    yield* MetricsSampler.start(system, INTERVAL)
    return yield* body(system)
  }).pipe(Effect.scoped, Effect.provide(HistoryTest.layer()))

describe("MetricsSampler", () => {
  it.effect("records nothing before the first interval, then one batch per interval", () =>
    withSystem(() =>
      Effect.gen(function*() {
        const history = yield* MetricHistory
        yield* TestClock.adjust(INTERVAL - 1)
        assert.strictEqual((yield* history.stats).samples, 0)
        for (let tick = 1; tick <= 4; tick++) {
          yield* TestClock.adjust(tick === 1 ? 1 : INTERVAL)
          // three agents × five metrics, and the dead letters
          assert.strictEqual((yield* history.stats).samples, tick * 16)
        }
        const up = yield* history.query({ name: "sigmavault_agent_up", matchers: [{ label: "agent", op: "=", value: "A" }], from: 0, to: 4 * INTERVAL, step: 1000 })
        assert.deepStrictEqual(up[0]!.points, [[INTERVAL, 1], [2 * INTERVAL, 1], [3 * INTERVAL, 1], [4 * INTERVAL, 1]])
        assert.deepStrictEqual([...new Set((yield* history.series()).map((s) => s.name))].sort(), RUNTIME_METRICS)
      })))

  it.effect("each agent's exact counts: messages, restarts, up, mailbox, p99, and the dead letters", () =>
    withSystem((system) =>
      Effect.gen(function*() {
        const history = yield* MetricHistory
        for (let i = 0; i < 3; i++) yield* system.injectAsk(ROOT, "A", { type: "inc" })
        yield* Effect.exit(system.injectAsk(ROOT, "B", { type: "refuse" }))
        yield* system.injectAsk(ROOT, "B", { type: "get" })
        yield* TestClock.adjust(INTERVAL)
        const first = latestOf(yield* history.latest())
        assert.strictEqual(first["sigmavault_agent_messages_total{A}"], 3)
        assert.strictEqual(first["sigmavault_agent_messages_total{B}"], 2)
        assert.strictEqual(first["sigmavault_agent_messages_total{C}"], 0)
        for (const agent of ["A", "B", "C"]) {
          assert.strictEqual(first[`sigmavault_agent_up{${agent}}`], 1)
          assert.strictEqual(first[`sigmavault_agent_restarts_total{${agent}}`], 0)
          assert.strictEqual(first[`sigmavault_agent_mailbox_depth{${agent}}`], 0)
          assert.strictEqual(first[`sigmavault_agent_latency_p99_seconds{${agent}}`], system.status(agent)!.handlingP99Us / 1e6)
        }
        assert.strictEqual(first["sigmavault_dead_letters_total"], 0)

        // A crashes and is restarted; C finishes for good, and what is sent to it afterwards is a dead letter.
        yield* Effect.exit(system.injectAsk(ROOT, "A", { type: "crash" }))
        yield* system.injectAsk(ROOT, "C", { type: "finish" })
        while (system.status("A")!.lifecycle !== "running" || system.status("C")!.lifecycle === "running") yield* TestClock.adjust(100)
        yield* Effect.exit(system.inject(ROOT, "C", { type: "inc" }))
        yield* TestClock.adjust(INTERVAL)
        const second = latestOf(yield* history.latest())
        assert.strictEqual(second["sigmavault_agent_restarts_total{A}"], 1)
        assert.strictEqual(second["sigmavault_agent_up{A}"], 1)
        assert.strictEqual(second["sigmavault_agent_up{C}"], 0)
        assert.strictEqual(second["sigmavault_agent_messages_total{C}"], 1)
        assert.isAbove(system.summary().deadLetters, 0)
        assert.strictEqual(second["sigmavault_dead_letters_total"], system.summary().deadLetters)
      })))
})
