/**
 * NEXUS's configuration. The daemon's composition root provides it from the
 * configuration file (incident_group_wait_seconds, incident_group_interval_seconds,
 * incident_resolve_timeout_seconds, incident_window_seconds, incidents_kept,
 * incident_max_alerts: docs/configuration.md); it is a Context.Reference, so
 * tests and `selftest` get these defaults, which are the file's defaults too.
 */
import { Context } from "effect"
import type { Settings } from "./correlate.ts"

export type NexusConfigShape = Settings & {
  /** Alert events NEXUS's subscription holds while it catches up; more are lost, and counted. */
  readonly buffer: number
  /** How long a storage graph read from VERTEX is used before it is read again (only when an alert arrives). */
  readonly topologyMaxAgeMs: number
}

export const defaultNexusConfig: NexusConfigShape = {
  // Alertmanager's defaults: wait 30 s for a group's first notification, 5 min between updates.
  groupWaitMs: 30_000,
  groupIntervalMs: 300_000,
  // Agents here raise transitions, not a heartbeat: Alertmanager's 5 min would resolve a disk still failing.
  resolveTimeoutMs: 86_400_000,
  windowMs: 3_600_000,
  maxAlerts: 200,
  kept: 500,
  maxSilences: 200,
  buffer: 4096,
  topologyMaxAgeMs: 60_000
}

export const NexusConfig = Context.Reference<NexusConfigShape>("sigmavault/actors/nexus/NexusConfig", {
  defaultValue: () => defaultNexusConfig
})
