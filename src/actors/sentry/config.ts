/** SENTRY's configuration: a Context.Reference, so it has defaults and tests or the composition root override it. */
import { Context } from "effect"
import type { Thresholds } from "./messages.ts"

export type { MetricName, Threshold, Thresholds } from "./messages.ts"

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
