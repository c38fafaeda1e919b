/**
 * The runtime's own numbers in the metric history: every `intervalMs` (on
 * Effect's Clock) one `record` batch of every agent's handled messages,
 * mailbox depth, p99 handling time, restarts and whether it runs, and the
 * system's dead letters (the `runtime` entries of src/history/catalogue.ts).
 * Reading them is a walk over the agents' counters: no message is sent, no
 * agent is disturbed.
 */
import { Clock, Effect } from "effect"
import { MetricHistory, type Sample } from "../history/History.ts"
import type { SystemHandle } from "../runtime/Agent.ts"

/** Once every ten seconds unless configured (`metrics_interval_seconds`). */
export const DEFAULT_METRICS_INTERVAL_MS = 10_000

/** The runtime samples of one moment, all stamped `at`. */
export const runtimeSamples = (
  system: Pick<SystemHandle, "agentNames" | "status" | "summary">,
  at: number
): Array<Sample> => {
  const samples: Array<Sample> = []
  for (const name of system.agentNames()) {
    const status = system.status(name)
    if (status === undefined) continue
    const labels = { agent: name }
    samples.push(
      { name: "sigmavault_agent_messages_total", labels, value: status.handled, at },
      { name: "sigmavault_agent_mailbox_depth", labels, value: status.mailboxDepth, at },
      { name: "sigmavault_agent_latency_p99_seconds", labels, value: status.handlingP99Us / 1e6, at },
      { name: "sigmavault_agent_restarts_total", labels, value: status.restarts, at },
      { name: "sigmavault_agent_up", labels, value: status.lifecycle === "running" ? 1 : 0, at }
    )
  }
  samples.push({ name: "sigmavault_dead_letters_total", value: system.summary().deadLetters, at })
  return samples
}

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
