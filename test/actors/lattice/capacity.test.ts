import { describe, expect, it } from "vitest"
import * as fc from "fast-check"
import { type CapacityLevel, nextLevel, rank } from "../../../src/actors/lattice/capacity.ts"

const thresholds = { warn: 80, high: 90, critical: 95 }
const walk = (percents: ReadonlyArray<number>, start: CapacityLevel = "ok") => {
  const levels: Array<CapacityLevel> = []
  let level = start
  for (const p of percents) levels.push((level = nextLevel(level, p, thresholds, 3)))
  return levels
}

describe("capacity levels", () => {
  it("rise at each threshold and fall only past the hysteresis band", () => {
    expect(walk([50, 79.9, 80, 85, 79, 77.1, 76.9])).toEqual(["ok", "ok", "warn", "warn", "warn", "warn", "ok"])
    expect(walk([96, 93, 91.9, 88, 86.9, 60])).toEqual(["critical", "critical", "high", "high", "warn", "ok"])
  })

  it("a pool hovering around 80% does not flap", () => {
    const levels = walk([80, 79.5, 80.2, 78, 80.1, 79])
    expect(new Set(levels)).toEqual(new Set(["warn"]))
  })

  it("a missing reading keeps the level", () => {
    expect(nextLevel("high", Number.NaN, thresholds, 3)).toBe("high")
  })

  it("is at least the level reached and never above it when rising", () => {
    fc.assert(fc.property(fc.constantFrom<CapacityLevel>("ok", "warn", "high", "critical"), fc.double({ min: 0, max: 100, noNaN: true }), (from, p) => {
      const to = nextLevel(from, p, thresholds, 3)
      const reached: CapacityLevel = p >= 95 ? "critical" : p >= 90 ? "high" : p >= 80 ? "warn" : "ok"
      expect(rank(to)).toBeGreaterThanOrEqual(rank(reached))
      expect(rank(to)).toBeLessThanOrEqual(Math.max(rank(from), rank(reached)))
    }))
  })
})
