/**
 * HELIX's configuration. The daemon's composition root provides it from the
 * configuration file (snapshot_schedule: docs/configuration.md); it is a
 * Context.Reference, so tests and `selftest` get these defaults, which are
 * the file's defaults too. The policies themselves are HELIX's state (the
 * `policy` message), not the file's.
 */
import { Context } from "effect"

export interface HelixConfigShape {
  /** Register the scheduled run (autosnap with confirm) with ORBIT. */
  readonly scheduleSnapshots: boolean
  /** When it runs: every 15 minutes, as sanoid's systemd timer does. */
  readonly snapshotCron: string
  /** How often snapshot ages are checked for warnings (and the schedule registered, until it is). */
  readonly checkIntervalMs: number
}

export const defaultHelixConfig: HelixConfigShape = {
  scheduleSnapshots: true,
  snapshotCron: "*/15 * * * *",
  checkIntervalMs: 15 * 60_000
}

export const HelixConfig = Context.Reference<HelixConfigShape>("sigmavault/actors/helix/HelixConfig", {
  defaultValue: () => defaultHelixConfig
})
