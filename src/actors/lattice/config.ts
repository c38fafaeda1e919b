/** LATTICE's configuration: a Context.Reference, so it has defaults and tests or the composition root override it. */
import { Context } from "effect"

export interface LatticeConfigShape {
  /** How often the pools are read. */
  readonly intervalMs: number
  /** Capacity levels (percent used): warn, high, critical. */
  readonly capacity: { readonly warn: number; readonly high: number; readonly critical: number }
  /** A level clears only once usage is this many points below it, so a pool at 80.1% does not flap. */
  readonly hysteresisPoints: number
  /** Register a scrub schedule with ORBIT for every pool found. */
  readonly scheduleScrubs: boolean
  /** When scrubs run: the first Sunday-ish of the month is the zfsutils-linux habit; we use the 1st at 03:00. */
  readonly scrubCron: string
}

export const defaultLatticeConfig: LatticeConfigShape = {
  intervalMs: 60_000,
  capacity: { warn: 80, high: 90, critical: 95 },
  hysteresisPoints: 3,
  scheduleScrubs: true,
  scrubCron: "0 3 1 * *"
}

export const LatticeConfig = Context.Reference<LatticeConfigShape>("sigmavault/actors/lattice/LatticeConfig", {
  defaultValue: () => defaultLatticeConfig
})
