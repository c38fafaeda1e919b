/**
 * The runtime sampler's cost: one batch (every agent's five runtime metrics
 * and the dead letters, recorded in the in-memory HistoryTest) over 40
 * supervised agents, against the anchor of one `ask` round trip to one of
 * them in the same run; and what the batch costs at the default 10 s
 * interval, as a share of one core.
 */
import { Effect } from "effect"
import { DEFAULT_METRICS_INTERVAL_MS } from "../../src/daemon/MetricsSampler.ts"
import { runtimeSamples } from "../../src/history/runtime.ts"
import * as HistoryTest from "../../src/history/HistoryTest.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import { now, round, summarise } from "../support.ts"
import { benchTree, noopAgent } from "../runtime/fixtures.ts"

const AGENTS = 40
const ROUNDS = 2_000

export const metricsSampler = async () =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const system = yield* ActorSystem.make({ root: benchTree(Array.from({ length: AGENTS }, (_, i) => noopAgent(`NOOP${i}`))), inspectionBuffer: 64 })
    const history = yield* HistoryTest.make()
    const get = { type: "get" }
    for (let i = 0; i < AGENTS; i++) yield* system.ask(`NOOP${i}`, get)
    const batch: Array<number> = []
    const ask: Array<number> = []
    let samples = 0
    // Alternated, so the machine's load at any moment weighs on both alike.
    for (let r = 0; r < ROUNDS; r++) {
      let t0 = now()
      const taken = runtimeSamples(system, Date.now())
      yield* history.record(taken)
      batch.push((now() - t0) * 1000)
      samples = taken.length
      t0 = now()
      yield* system.ask("NOOP0", get)
      ask.push((now() - t0) * 1000)
    }
    const ours = summarise(batch.slice(ROUNDS / 10))
    const anchor = summarise(ask.slice(ROUNDS / 10))
    return {
      name: `runtime sampler: one batch over ${AGENTS} agents (${samples} samples) into HistoryTest`,
      batchUs: ours,
      anchorOneAskUs: anchor,
      ratioBatchOverAsk: round(ours.p50Us / anchor.p50Us),
      cpuPercentAtDefaultInterval: round((ours.p50Us / 1000 / DEFAULT_METRICS_INTERVAL_MS) * 100, 5)
    }
  })))
