/**
 * AXIOM's configuration: its periodic capacity check. The daemon's composition
 * root provides it from the configuration file (forecast_alert_days,
 * forecast_check_interval_hours, forecast_window_days: docs/configuration.md);
 * it is a Context.Reference, so tests and `selftest` get these defaults, which
 * are the file's defaults too.
 */
import { Context } from "effect"

export interface AxiomConfigShape {
  /** How often the pools' forecasts are checked for the alert (at least an hour apart). */
  readonly checkIntervalMs: number
  /** Alert when a pool is forecast full within this many days; 0: no alerts. */
  readonly alertHorizonDays: number
  /** The history window the check fits. */
  readonly windowDays: number
}

export const defaultAxiomConfig: AxiomConfigShape = {
  checkIntervalMs: 3_600_000,
  alertHorizonDays: 14,
  windowDays: 30
}

/** The check never runs more often than this. */
export const MIN_CHECK_INTERVAL_MS = 3_600_000
/** One alert per pool per this long at most. */
export const ALERT_EVERY_MS = 86_400_000

export const AxiomConfig = Context.Reference<AxiomConfigShape>("sigmavault/actors/axiom/AxiomConfig", {
  defaultValue: () => defaultAxiomConfig
})
