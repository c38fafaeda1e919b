/** SENTRY's configuration: a Context.Reference, so it has defaults and tests or the composition root override it. */
import { Context } from "effect"

export type MetricName = "cpu" | "memory" | "load" | "disk"

/**
 * Raise when the value is at or above `raiseAt` for `forSamples` consecutive
 * samples; clear when it is at or below `clearAt`. Between the two nothing
 * changes, which is what keeps an alert from flapping.
 */
export interface Threshold {
  readonly raiseAt: number
  readonly clearAt: number
  readonly forSamples: number
}

/** cpu: busy %; memory: used %; load: 1-minute load per CPU; disk: util % of each disk. */
export type Thresholds = Readonly<Record<MetricName, Threshold>>

export interface SentryConfigShape {
  readonly intervalMs: number
  /** Raised/cleared transitions kept for `alerts`, newest last. */
  readonly historyLimit: number
  readonly thresholds: Thresholds
}

export const defaultSentryConfig: SentryConfigShape = {
  intervalMs: 5_000,
  historyLimit: 100,
  thresholds: {
    cpu: { raiseAt: 90, clearAt: 75, forSamples: 3 },
    memory: { raiseAt: 90, clearAt: 80, forSamples: 3 },
    load: { raiseAt: 2.0, clearAt: 1.5, forSamples: 3 },
    disk: { raiseAt: 90, clearAt: 70, forSamples: 3 }
  }
}

export const SentryConfig = Context.Reference<SentryConfigShape>("sigmavault/actors/sentry/SentryConfig", {
  defaultValue: () => defaultSentryConfig
})
