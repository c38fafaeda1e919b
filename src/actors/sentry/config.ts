/**
 * SENTRY's configuration. The daemon's composition root provides it from the
 * configuration file (resource_check_interval_seconds, cpu_alert_percent,
 * memory_alert_percent, disk_busy_alert_percent, load_alert_per_cpu,
 * resource_alert_samples: docs/configuration.md); it is a Context.Reference,
 * so tests and `selftest` get these defaults, which are the file's defaults too.
 */
import { Context } from "effect"
import type { Thresholds } from "./messages.ts"

export type { MetricName, Threshold, Thresholds } from "./messages.ts"

export interface SentryConfigShape {
  readonly intervalMs: number
  readonly thresholds: Thresholds
}

export const defaultSentryConfig: SentryConfigShape = {
  // The metric history's finest tier is 10 s buckets: a faster pace would only be averaged away there,
  // and each sample wakes an idle daemon (docs/configuration.md).
  intervalMs: 10_000,
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
