/**
 * FLUX's configuration. The daemon's composition root provides it from the
 * configuration file (flux_max_rules, flux_ring_size,
 * flux_metric_interval_seconds, flux_loop_max_firings, flux_loop_window_seconds:
 * docs/configuration.md); it is a Context.Reference, so tests and `selftest`
 * get these defaults, which are the file's defaults too.
 */
import { Context } from "effect"

export interface FluxConfigShape {
  readonly maxRules: number
  readonly maxExpressionLength: number
  readonly maxExpressionDepth: number
  /** events kept for test-rule */
  readonly ringSize: number
  /** how often metric thresholds are read from the history, only while a metric rule is enabled (at least 10 s) */
  readonly metricIntervalMs: number
  /** a run's action waits at most this long for its answer */
  readonly actionTimeoutMs: number
  /** the loop guard: more firings of one rule than this within the window stop it */
  readonly loopMaxFirings: number
  readonly loopWindowMs: number
  /** an event from an agent a run reached, during the run or this long after it, counts as caused by it */
  readonly causeWindowMs: number
  /** a chain of rules causing each other longer than this is stopped */
  readonly maxChainDepth: number
  /** outcomes kept per rule */
  readonly outcomesKept: number
  /** IANA zone for schedule triggers; the machine's local zone when absent */
  readonly timeZone?: string | undefined
}

export const MIN_METRIC_INTERVAL_MS = 10_000

export const defaultFluxConfig: FluxConfigShape = {
  maxRules: 200,
  maxExpressionLength: 1_000,
  maxExpressionDepth: 32,
  ringSize: 200,
  metricIntervalMs: 15_000,
  actionTimeoutMs: 30_000,
  loopMaxFirings: 20,
  loopWindowMs: 60_000,
  causeWindowMs: 5_000,
  maxChainDepth: 4,
  outcomesKept: 20
}

export const FluxConfig = Context.Reference<FluxConfigShape>("sigmavault/actors/flux/FluxConfig", {
  defaultValue: () => defaultFluxConfig
})
