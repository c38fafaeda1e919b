/** PULSE's configuration: a Context.Reference, so it has defaults and the composition root or tests override it. */
import { Context } from "effect"
import { watchdogIntervalMs } from "../../adapters/systemd/Notify.ts"

export interface PulseConfigShape {
  /** How often to ping systemd's watchdog: half of WATCHDOG_USEC; undefined when systemd is not watching. */
  readonly watchdogIntervalMs: number | undefined
  /** systemd units the NAS depends on (smbd, nfs-server, …); a bare name means a service. */
  readonly services: ReadonlyArray<string>
  readonly livenessIntervalMs: number
  /** A heartbeat skipped for the same reason is logged at most once per this interval. */
  readonly skipLogIntervalMs: number
}

export const defaultPulseConfig: PulseConfigShape = {
  watchdogIntervalMs: undefined,
  services: [],
  livenessIntervalMs: 30_000,
  skipLogIntervalMs: 60_000
}

export const PulseConfig = Context.Reference<PulseConfigShape>("sigmavault/actors/pulse/PulseConfig", {
  defaultValue: () => defaultPulseConfig
})

/** From the daemon's environment: the watchdog interval systemd asked for (WATCHDOG_USEC / 2), and the units to watch. */
export const pulseConfigFromEnv = (
  env: { readonly WATCHDOG_USEC?: string | undefined; readonly WATCHDOG_PID?: string | undefined },
  pid: number,
  services: ReadonlyArray<string> = []
): PulseConfigShape => ({ ...defaultPulseConfig, watchdogIntervalMs: watchdogIntervalMs(env, pid), services })
