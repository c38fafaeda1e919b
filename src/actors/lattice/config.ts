/**
 * LATTICE's configuration. The daemon's composition root provides it from the
 * configuration file (pool_check_interval_seconds, pool_capacity_percent,
 * scrub_schedule: docs/configuration.md); it is a Context.Reference, so tests
 * and `selftest` get these defaults, which are the file's defaults too.
 */
import { Context } from "effect"
import type { CapacityThresholds } from "./capacity.ts"

export interface LatticeConfigShape {
  /** How often the pools are read. */
  readonly intervalMs: number
  /** Capacity levels (percent used): warn, high, critical. */
  readonly capacity: CapacityThresholds
  /** Register a scrub schedule with ORBIT for every pool found. */
  readonly scheduleScrubs: boolean
  /** When scrubs run: the first Sunday-ish of the month is the zfsutils-linux habit; we use the 1st at 03:00. */
  readonly scrubCron: string
}

export const defaultLatticeConfig: LatticeConfigShape = {
  intervalMs: 60_000,
  capacity: { warn: 80, high: 90, critical: 95 },
  scheduleScrubs: true,
  scrubCron: "0 3 1 * *"
}

export const LatticeConfig = Context.Reference<LatticeConfigShape>("sigmavault/actors/lattice/LatticeConfig", {
  defaultValue: () => defaultLatticeConfig
})
