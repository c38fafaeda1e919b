/**
 * SENTRY samples /proc every `intervalMs` (an XState `after`, so it runs on
 * Effect's Clock), turns consecutive samples into utilisation and feeds the
 * readings to the hysteresis alarms. Between samples it answers queries at
 * once; while a sample is being taken, a `sample` request waits for that one
 * instead of starting another.
 */
import { Clock, Effect } from "effect"
import { assign, emit, enqueueActions, setup } from "xstate"
import { ProcStats, type RawSample } from "../../adapters/procfs/ProcStats.ts"
import { AgentEnv, type AgentEmitted, type AlertReport, rejectWith, replyWith } from "../../runtime/Agent.ts"
import { describeError } from "../../runtime/Errors.ts"
import { Memory } from "../../memory/Memory.ts"
import { MetricHistory, type Sample } from "../../history/History.ts"
import { METRIC_CODES } from "./codes.ts"
import { type SentryConfigShape, SentryConfig } from "./config.ts"
import { activeAlerts, type AlertBook, type AlertTransition, emptyBook, evaluate } from "./hysteresis.ts"
import { describePrecedents, recallAndRemember, situation } from "./precedents.ts"
import { type Latest, NoMetricsYet, SampleFailed, type Sentry } from "./messages.ts"
import { computeMetrics, type Metrics, readingsOf, SECTOR_BYTES } from "./utilisation.ts"
import type * as Protocol from "../../runtime/Protocol.ts"

export type { Latest } from "./messages.ts"

interface SentryContext {
  readonly previous: RawSample | undefined
  readonly latest: Latest | undefined
  readonly book: AlertBook
  readonly lastError: string | undefined
  /** A `sample` message is waiting for the sample in progress. */
  readonly replyRequested: boolean
}

interface SampleInput {
  readonly previous: RawSample | undefined
  readonly book: AlertBook
  readonly lastError: string | undefined
}

interface SampleOutcome {
  readonly sample: RawSample
  readonly latest: Latest | undefined
  readonly book: AlertBook
}

const MIN_INTERVAL_MS = 100

/** Raised/cleared transitions kept for `alerts`, newest last. */
const ALERT_HISTORY_LIMIT = 100

const units = { cpu: "% busy", memory: "% used", load: " load per CPU", disk: "% util" } as const

/** A raised or cleared alarm as an Alert event (and log line): warning when raised, info when cleared. */
const alertOf = (config: SentryConfigShape, transition: AlertTransition): AlertReport => {
  const value = `${transition.value.toFixed(transition.metric === "load" ? 2 : 1)}${units[transition.metric]}`
  return transition.change === "raised"
    ? {
      severity: "warning",
      subject: transition.key,
      code: METRIC_CODES[transition.metric],
      text: `alert raised: ${transition.key} at ${value}, at or above ${transition.threshold} for ${
        config.thresholds[transition.metric].forSamples
      } consecutive samples` + (transition.precedents === undefined ? "" : `; ${describePrecedents(transition.precedents)}`)
    }
    : { severity: "info", subject: transition.key, code: METRIC_CODES[transition.metric], text: `alert cleared: ${transition.key} at ${value}, at or below ${transition.threshold}` }
}

/**
 * What one sample puts in the metric history: the kernel's own gauges and
 * counters (memory, swap, load, each disk's I/O), and CPU use once there is a
 * previous sample to measure it against.
 */
export const samplesOf = (sample: RawSample, metrics: Metrics | undefined): Array<Sample> => {
  const samples: Array<Sample> = [
    { name: "sigmavault_host_memory_total_bytes", value: sample.memory.totalBytes },
    { name: "sigmavault_host_memory_available_bytes", value: sample.memory.availableBytes },
    { name: "sigmavault_host_swap_total_bytes", value: sample.memory.swapTotalBytes },
    { name: "sigmavault_host_swap_free_bytes", value: sample.memory.swapFreeBytes },
    { name: "sigmavault_host_load1", value: sample.load.one },
    { name: "sigmavault_host_load5", value: sample.load.five },
    { name: "sigmavault_host_load15", value: sample.load.fifteen },
    { name: "sigmavault_host_cpus", value: sample.cpuCount }
  ]
  if (metrics !== undefined && metrics.cpu.jiffies > 0) {
    samples.push(
      { name: "sigmavault_host_cpu_busy_ratio", value: metrics.cpu.busyPercent / 100 },
      { name: "sigmavault_host_cpu_iowait_ratio", value: metrics.cpu.iowaitPercent / 100 }
    )
  }
  for (const disk of sample.disks) {
    const labels = { device: disk.name }
    samples.push(
      { name: "sigmavault_disk_read_bytes_total", labels, value: disk.sectorsRead * SECTOR_BYTES },
      { name: "sigmavault_disk_written_bytes_total", labels, value: disk.sectorsWritten * SECTOR_BYTES },
      { name: "sigmavault_disk_reads_completed_total", labels, value: disk.readsCompleted },
      { name: "sigmavault_disk_writes_completed_total", labels, value: disk.writesCompleted },
      { name: "sigmavault_disk_io_time_seconds_total", labels, value: disk.ioTicksMs / 1000 }
    )
  }
  return samples
}

export const sentryMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const procStats = yield* ProcStats
  const memory = yield* Memory
  const config = yield* SentryConfig
  const history = yield* MetricHistory
  // A zero or negative interval would sample in a tight loop and starve the mailbox.
  const intervalMs = Math.max(MIN_INTERVAL_MS, config.intervalMs)

  const takeSample = (input: SampleInput): Effect.Effect<SampleOutcome, unknown> =>
    Effect.gen(function*() {
      const sample = yield* procStats.sample
      if (input.lastError !== undefined) yield* Effect.logInfo(`sampling /proc works again after: ${input.lastError}`)
      if (input.previous === undefined) {
        yield* history.record(samplesOf(sample, undefined))
        return { sample, latest: undefined, book: input.book }
      }
      const takenAt = yield* Clock.currentTimeMillis
      const metrics = computeMetrics(input.previous, sample)
      yield* history.record(samplesOf(sample, metrics))
      const evaluated = evaluate(input.book, config.thresholds, readingsOf(metrics), takenAt, ALERT_HISTORY_LIMIT)
      const transitions = yield* Effect.forEach(evaluated.transitions, (transition) =>
        transition.change === "raised" ? withPrecedents(transition, metrics) : Effect.succeed(transition))
      const enriched = new Map(evaluated.transitions.map((transition, i) => [transition, transitions[i]!]))
      const book = { ...evaluated.book, history: evaluated.book.history.map((entry) => enriched.get(entry) ?? entry) }
      yield* Effect.forEach(transitions, (transition) => env.alert(alertOf(config, transition)), { discard: true })
      return { sample, latest: { ...metrics, takenAt }, book }
    }).pipe(
      // A failure that repeats every interval is logged once, when it starts.
      Effect.tapError((error) =>
        error.message === input.lastError ? Effect.void : Effect.logWarning(`could not sample /proc: ${error.message}`)
      )
    )

  // Memory is an aid to alerts, never a reason to miss one: a failure is logged when it starts, and the alert goes on without precedents.
  let memoryTrouble: string | undefined
  const withPrecedents = (transition: AlertTransition, metrics: Metrics) =>
    recallAndRemember(memory, transition, situation(metrics)).pipe(
      Effect.tap(() => Effect.sync(() => (memoryTrouble = undefined))),
      Effect.map((precedents): AlertTransition => ({ ...transition, precedents })),
      Effect.catch((error) =>
        Effect.as(
          error.message === memoryTrouble
            ? Effect.void
            : Effect.sync(() => (memoryTrouble = error.message)).pipe(
              Effect.andThen(Effect.logWarning(`could not recall earlier alerts from memory: ${error.message}`))
            ),
          transition
        )
      )
    )

  const noMetricsYet = (lastError: string | undefined) => new NoMetricsYet({ intervalMs, lastError: lastError ?? null })

  return setup({
    types: { context: {} as SentryContext, events: {} as Protocol.RequestOf<typeof Sentry>, emitted: {} as AgentEmitted },
    actors: { takeSample: env.fromEffect(takeSample) },
    delays: { interval: intervalMs }
  }).createMachine({
    id: "SENTRY",
    context: { previous: undefined, latest: undefined, book: emptyBook, lastError: undefined, replyRequested: false },
    // The first sample is taken at start, so utilisation is known one interval later.
    initial: "sampling",
    // Queries are answered in every state, from what is known so far.
    on: {
      current: {
        actions: emit(({ context }) =>
          context.latest === undefined ? rejectWith(noMetricsYet(context.lastError)) : replyWith(context.latest)
        )
      },
      alerts: {
        actions: emit(({ context }) => replyWith({ active: activeAlerts(context.book), history: context.book.history }))
      },
      thresholds: {
        actions: emit(() =>
          replyWith({ intervalMs, historyLimit: ALERT_HISTORY_LIMIT, thresholds: config.thresholds })
        )
      }
    },
    states: {
      waiting: {
        entry: assign({ replyRequested: false }),
        after: { interval: "sampling" },
        on: {
          sample: { target: "sampling", actions: assign({ replyRequested: true }) }
        }
      },
      sampling: {
        invoke: {
          src: "takeSample",
          input: ({ context }) => ({ previous: context.previous, book: context.book, lastError: context.lastError }),
          onDone: {
            target: "waiting",
            actions: [
              assign(({ event }) => ({
                previous: event.output.sample,
                latest: event.output.latest,
                book: event.output.book,
                lastError: undefined
              })),
              enqueueActions(({ context, enqueue }) => {
                if (!context.replyRequested) return
                enqueue.emit(
                  context.latest === undefined ? rejectWith(noMetricsYet(undefined)) : replyWith(context.latest)
                )
              })
            ]
          },
          onError: {
            target: "waiting",
            actions: [
              assign(({ event }) => ({ lastError: describeError(event.error) })),
              enqueueActions(({ context, enqueue }) => {
                if (context.replyRequested) enqueue.emit(rejectWith(new SampleFailed({ reason: context.lastError ?? "unknown" })))
              })
            ]
          }
        },
        on: {
          sample: { actions: assign({ replyRequested: true }) }
        }
      }
    }
  })
})
