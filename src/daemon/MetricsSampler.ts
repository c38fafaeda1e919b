/**
 * The runtime's own numbers in the metric history: every `intervalMs` (on
 * Effect's Clock) one `record` batch of every agent's handled messages,
 * mailbox depth, p99 handling time, restarts and whether it runs, and the
 * system's dead letters (`history/runtime.ts`, which PRISM renders live too).
 */
import { Clock, Effect } from "effect"
import { MetricHistory } from "../history/History.ts"
import { runtimeSamples } from "../history/runtime.ts"
import type { SystemHandle } from "../runtime/Agent.ts"

/** Once every ten seconds unless configured (`metrics_interval_seconds`). */
export const DEFAULT_METRICS_INTERVAL_MS = 10_000

/** Records one batch now. */
export const sampleOnce = (system: Pick<SystemHandle, "agentNames" | "status" | "summary">) =>
  Effect.gen(function*() {
    const history = yield* MetricHistory
    const at = yield* Clock.currentTimeMillis
    return yield* history.record(runtimeSamples(system, at))
  })

/**
 * Samples every `intervalMs` (the first batch one interval after the start)
 * for as long as the enclosing scope lives. Recording never fails (the
 * history counts what it refuses), so the sampler cannot stop on its own.
 */
export const start = (
  system: Pick<SystemHandle, "agentNames" | "status" | "summary">,
  intervalMs: number = DEFAULT_METRICS_INTERVAL_MS
) =>
  Effect.gen(function*() {
    const history = yield* MetricHistory
    const tick = Effect.andThen(Effect.sleep(Math.max(1, intervalMs)), Effect.provideService(sampleOnce(system), MetricHistory, history))
    yield* Effect.forkScoped(Effect.forever(tick))
  })
