/**
 * PULSE's configuration. The daemon's composition root provides it: the
 * watchdog interval from systemd's environment, the units and how often to
 * check them from the configuration file (watch_services,
 * watch_services_interval_seconds: docs/configuration.md). It is a
 * Context.Reference, so tests and `selftest` get these defaults, which are the
 * file's defaults too.
 */
import { Context } from "effect"

export interface PulseConfigShape {
  /** How often to ping systemd's watchdog: half of WATCHDOG_USEC; undefined when systemd is not watching. */
  readonly watchdogIntervalMs: number | undefined
  /** systemd units the NAS depends on (smbd, nfs-server, …); a bare name means a service. */
  readonly services: ReadonlyArray<string>
  readonly livenessIntervalMs: number
}

export const defaultPulseConfig: PulseConfigShape = {
  watchdogIntervalMs: undefined,
  services: [],
  livenessIntervalMs: 30_000
}

export const PulseConfig = Context.Reference<PulseConfigShape>("sigmavault/actors/pulse/PulseConfig", {
  defaultValue: () => defaultPulseConfig
})
