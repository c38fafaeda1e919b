/**
 * Pool capacity levels with hysteresis: a level is entered when usage reaches
 * its threshold and left only when usage falls `hysteresisPoints` below it.
 * ZFS slows sharply as a pool fills (allocation gets harder past ~80%, and a
 * full pool cannot even delete), hence the 80/90/95 levels.
 */
import type { CapacityLevel } from "./messages.ts"

export type { CapacityLevel } from "./messages.ts"

export interface CapacityThresholds {
  readonly warn: number
  readonly high: number
  readonly critical: number
}

/** A level clears only once usage is this many points below it, so a pool at 80.1% does not flap. */
export const CAPACITY_HYSTERESIS_POINTS = 3

const ORDER: ReadonlyArray<CapacityLevel> = ["ok", "warn", "high", "critical"]

export const rank = (level: CapacityLevel): number => ORDER.indexOf(level)

const thresholdOf = (level: CapacityLevel, thresholds: CapacityThresholds): number =>
  level === "ok" ? 0 : thresholds[level]

/** The level for `percent`, given the level the pool was at before. A non-number keeps the level. */
export const nextLevel = (
  previous: CapacityLevel,
  percent: number,
  thresholds: CapacityThresholds,
  hysteresisPoints: number
): CapacityLevel => {
  if (!Number.isFinite(percent)) return previous
  // The highest level whose threshold is reached wins outright.
  let reached: CapacityLevel = "ok"
  for (const level of ORDER) if (level !== "ok" && percent >= thresholdOf(level, thresholds)) reached = level
  if (rank(reached) >= rank(previous)) return reached
  // Falling: step down only past the hysteresis band of each level held.
  let level = previous
  while (level !== "ok" && percent < thresholdOf(level, thresholds) - hysteresisPoints && rank(level) > rank(reached)) {
    level = ORDER[rank(level) - 1]!
  }
  return level
}
