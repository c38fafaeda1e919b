/**
 * AXIOM's EWMA anomaly scoring: injected spikes are found with few false
 * positives (with and without a daily cycle), a spike does not hide the next
 * one, a level shift is reported as a shift rather than a run of spikes, a
 * constant series scores finitely, and the score does not depend on the unit.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import { scan, score } from "../../../src/actors/axiom/anomaly.ts"
import { spiky } from "../../support/series.ts"

describe("AXIOM anomaly scoring", () => {
  for (const cycle of [false, true]) {
    it(`finds every injected spike with at most 1 % false positives${cycle ? ", over a daily cycle" : ""}`, () => {
      for (let seed = 1; seed <= 10; seed++) {
        const s = spiky({ seed, cycle, spikes: 15 })
        const result = scan(s.points)!
        const flagged = new Set(result.anomalies.map((a) => s.points.findIndex(([t]) => t === a.at)))
        const found = [...s.spikes].filter((i) => flagged.has(i)).length
        const falsePositives = [...flagged].filter((i) => !s.spikes.has(i)).length
        assert.strictEqual(found, s.spikes.size, `seed ${seed}: found ${found}/${s.spikes.size}`)
        assert.isAtMost(falsePositives / (result.scored - s.spikes.size), 0.01, `seed ${seed}: ${falsePositives} false positives`)
        assert.lengthOf(result.shifts, 0)
      }
    })
  }

  it("each anomaly says its score, the baseline it was scored against and its side", () => {
    const s = spiky({ seed: 3, spikes: 5 })
    const result = scan(s.points, { threshold: 4 })!
    for (const a of result.anomalies) {
      assert.closeTo(a.score, (a.value - a.mean) / a.sd, 1e-9)
      assert.isAbove(Math.abs(a.score), 4)
      assert.strictEqual(a.verdict, a.score > 0 ? "high" : "low")
      assert.closeTo(a.mean, 50, 2)
    }
    assert.closeTo(result.baseline.sd, s.sd, 0.6)
  })

  it("a level shift is reported once as a shift, and the baseline follows it", () => {
    const points = Array.from({ length: 400 }, (_, i) => [i * 60_000, (i < 200 ? 10 : 40) + Math.sin(i * 1.7)] as const)
    const result = scan(points)!
    assert.lengthOf(result.shifts, 1)
    assert.strictEqual(result.shifts[0]!.at, 200 * 60_000)
    assert.lengthOf(result.anomalies, 0)
    assert.closeTo(result.baseline.mean, 40, 1)
  })

  it("a value is scored against the baseline learned from the history", () => {
    const s = spiky({ seed: 4, spikes: 1 })
    const high = score(s.points, 50 + 10 * s.sd)!
    assert.strictEqual(high.verdict, "high")
    assert.closeTo(high.score, 10, 2.5)
    assert.strictEqual(score(s.points, 50)!.verdict, "normal")
    assert.strictEqual(score(s.points, 50 - 10 * s.sd)!.verdict, "low")
    assert.isUndefined(score(s.points.slice(0, 5), 50))
  })

  it("a constant series: the same value is normal, any change is a finite, very large score", () => {
    const points = Array.from({ length: 50 }, (_, i) => [i, 7] as const)
    assert.strictEqual(score(points, 7)!.score, 0)
    const moved = score(points, 7.5)!
    assert.isTrue(Number.isFinite(moved.score))
    assert.isAbove(moved.score, 1e6)
  })

  it("property: scores do not depend on the unit or an offset", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000 }), fc.double({ min: 1e-3, max: 1e6, noNaN: true }), fc.double({ min: -1e3, max: 1e3, noNaN: true }), (seed, k, offset) => {
        const s = spiky({ seed, n: 300, spikes: 3 })
        const a = scan(s.points)!
        const b = scan(s.points.map(([t, v]) => [t, v * k + offset] as const))!
        return a.anomalies.length === b.anomalies.length &&
          a.anomalies.every((x, i) => x.at === b.anomalies[i]!.at && Math.abs(x.score - b.anomalies[i]!.score) <= 1e-6 * Math.max(1, Math.abs(x.score)))
      }),
      { numRuns: 50 }
    )
  })
})
