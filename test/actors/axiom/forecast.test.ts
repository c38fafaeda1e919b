/**
 * AXIOM's forecast maths on synthetic series with known answers: exact and
 * noisy lines, a deletion and a bulk copy (level shifts), a daily cycle,
 * flat and shrinking usage, too little history; and properties: an exact line
 * is forecast exactly, and the answer does not depend on the unit or the time
 * origin.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import { type Forecast, forecast, leastSquares, levelShifts, select, theilSen } from "../../../src/actors/axiom/forecast.ts"
import { summarise } from "../../../src/actors/axiom/machine.ts"
import { DAY, KINDS, synthetic, TiB } from "../../support/series.ts"

const ok = (f: ReturnType<typeof forecast>): Forecast => {
  assert.isTrue(f.ok, JSON.stringify(f))
  return f as Forecast
}
const full = (f: Forecast) => f.crossings.find((c) => c.percent === 100)!
const relativeError = (got: number, want: number) => Math.abs(got - want) / want

describe("AXIOM forecast", () => {
  it("an exact line: the days to 80/90/100 % are exact, the interval is a point, no shift is seen", () => {
    const s = synthetic("linear", { seed: 3, daysLeft: 40 })
    const f = ok(forecast(s.points, { capacity: s.capacity }))
    assert.strictEqual(f.trend, "growing")
    assert.strictEqual(f.fit.method, "theil-sen")
    assert.lengthOf(f.fit.shifts, 0)
    for (const c of f.crossings) {
      assert.strictEqual(c.status, "expected")
      assert.closeTo(c.days!, s.daysTo(c.percent)!, 1e-6 * s.daysTo(c.percent)!)
      assert.closeTo(c.low!, c.days!, 1e-6 * c.days!)
      assert.closeTo(c.high!, c.days!, 1e-6 * c.days!)
    }
    assert.closeTo(full(f).days!, 40, 1e-6)
  })

  for (const kind of ["noisy", "deletion", "bulk-copy", "seasonal"] as const) {
    it(`${kind}: days to full within 10 % for 20 series, and the truth inside the interval for most`, () => {
      let inside = 0
      for (let seed = 1; seed <= 20; seed++) {
        const s = synthetic(kind, { seed })
        const f = ok(forecast(s.points, { capacity: s.capacity }))
        assert.strictEqual(f.trend, "growing", `${kind} seed ${seed}`)
        const c = full(f)
        assert.isBelow(relativeError(c.days!, s.daysToFull!), 0.1, `${kind} seed ${seed}: ${c.days} vs ${s.daysToFull}`)
        if (c.low! <= s.daysToFull! && s.daysToFull! <= c.high!) inside++
      }
      assert.isAtLeast(inside, 15, `${kind}: the truth is inside the interval ${inside}/20 times`)
    })
  }

  it("a deletion is a level shift: found where it happened, with its size, and the fit says how it dealt with it", () => {
    const s = synthetic("deletion", { seed: 5 })
    const f = ok(forecast(s.points, { capacity: s.capacity }))
    assert.lengthOf(f.fit.shifts, 1)
    const [shift] = f.fit.shifts
    assert.closeTo(shift!.bytes, -0.05 * s.capacity, 0.01 * s.capacity)
    const expectedAt = s.end - 0.4 * 30 * DAY
    assert.isAtMost(Math.abs(shift!.at - expectedAt), DAY / 24 + 1)
    assert.strictEqual(f.fit.method, "theil-sen since the last shift")
    assert.strictEqual(f.fit.from, shift!.at)
  })

  it("a shift near the end leaves too short a segment: the fit removes the shifts and uses the whole window", () => {
    const s = synthetic("linear", { seed: 6, daysLeft: 50 })
    const jumpAt = s.points.length - 5
    const points = s.points.map(([t, v], i) => [t, i >= jumpAt ? v + 0.03 * s.capacity : v] as const)
    const f = ok(forecast(points, { capacity: s.capacity }))
    assert.strictEqual(f.fit.method, "theil-sen with shifts removed")
    // The slope is the line's; the level is the new one (3 % higher), so full comes 3 % of capacity sooner.
    const slope = (s.capacity - s.points[s.points.length - 1]![1]) / 50
    assert.closeTo(f.fit.slopePerDay, slope, 1e-6 * slope)
    assert.closeTo(full(f).days!, 50 - (0.03 * s.capacity) / slope, 1e-3)
  })

  it("a single spike is not a level shift", () => {
    const s = synthetic("noisy", { seed: 8 })
    const points = s.points.map(([t, v], i) => [t, i === 400 ? v + 0.2 * s.capacity : v] as const)
    assert.lengthOf(levelShifts(points, 0.001 * s.capacity), 0)
    const f = ok(forecast(points, { capacity: s.capacity }))
    assert.isBelow(relativeError(full(f).days!, s.daysToFull!), 0.1)
  })

  it("flat usage is 'not growing': no date is made up, for 20 noisy series", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const s = synthetic("flat", { seed })
      const f = ok(forecast(s.points, { capacity: s.capacity }))
      assert.notStrictEqual(f.trend, "growing", `seed ${seed}`)
      for (const c of f.crossings) {
        assert.strictEqual(c.status, "not-growing")
        assert.isNull(c.days)
        assert.isNull(c.high)
      }
    }
  })

  it("shrinking usage is 'shrinking', with no date", () => {
    const s = synthetic("shrinking", { seed: 2 })
    const f = ok(forecast(s.points, { capacity: s.capacity }))
    assert.strictEqual(f.trend, "shrinking")
    assert.isTrue(f.crossings.every((c) => c.status === "not-growing" && c.days === null && c.low === null))
  })

  it("a level already passed is 'reached'", () => {
    const s = synthetic("linear", { seed: 3, daysLeft: 10 })
    const f = ok(forecast(s.points, { capacity: s.capacity, levels: [10, 100] }))
    assert.deepStrictEqual(f.crossings[0], { percent: 10, bytes: 0.1 * s.capacity, status: "reached", days: 0, low: 0, high: 0 })
  })

  it("old data is carried to now, and the summary says how old it is", () => {
    const s = synthetic("linear", { seed: 3, daysLeft: 40 })
    const f = ok(forecast(s.points, { capacity: s.capacity, now: s.end + 3 * DAY }))
    assert.closeTo(full(f).days!, 37, 1e-6)
    assert.match(summarise({ kind: "pool", pool: "tank" }, f), /full in 37\.0 days .*; the newest sample is 3\.0 days old$/)
  })

  it("too little history is refused with what was there and what is needed", () => {
    const s = synthetic("linear", { days: 0.1, perDay: 100 })
    const f = forecast(s.points, { capacity: s.capacity })
    assert.isFalse(f.ok)
    if (f.ok) return
    assert.strictEqual(f.points, 11)
    assert.strictEqual(f.needSpanMs, 6 * 3_600_000)
    assert.isFalse(forecast([], { capacity: TiB }).ok)
    assert.isFalse(forecast(s.points.slice(0, 5), { capacity: TiB, minSpanMs: 1 }).ok)
  })

  it("Theil–Sen ignores a third of the points being wild, where least squares does not", () => {
    const xs = Array.from({ length: 60 }, (_, i) => i)
    const ys = xs.map((x, i) => (i % 3 === 0 ? 1_000 : 2 * x + 5))
    assert.closeTo(theilSen(xs, ys).slope, 2, 1e-9)
    assert.isAbove(Math.abs(leastSquares(xs.map((x, i) => [x, ys[i]!] as const)).slope - 2), 0.5)
  })

  it("property: selection finds the k-th smallest, as sorting does, ties and all", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5, max: 5 }).map((x) => x / 2), { minLength: 1, maxLength: 200 }), fc.nat(), (values, k) => {
        const i = k % values.length
        const sorted = [...values].sort((a, b) => a - b)
        return select(Float64Array.from(values), i) === sorted[i]
      })
    )
  })

  it("property: the forecast of any exact growing line is exact", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.05, max: 0.9, noNaN: true }),
        fc.double({ min: 1, max: 1_000, noNaN: true }),
        fc.integer({ min: 12, max: 300 }),
        fc.double({ min: 1e6, max: 1e15, noNaN: true }),
        (fill, daysLeft, n, capacity) => {
          const end = 1_800_000_000_000
          const slope = (capacity * (1 - fill)) / daysLeft
          const points = Array.from({ length: n }, (_, i) => {
            const t = end - (n - 1 - i) * 3_600_000
            return [t, capacity * fill + (slope * (t - end)) / DAY] as const
          })
          const f = forecast(points, { capacity })
          if (!f.ok) return false
          const c = f.crossings.find((x) => x.percent === 100)!
          return c.status === "expected" && Math.abs(c.days! - daysLeft) <= 1e-6 * daysLeft
        }
      )
    )
  })

  it("property: scaling the bytes or moving the time origin does not change the days", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...KINDS),
        fc.integer({ min: 1, max: 1_000 }),
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        fc.integer({ min: -1_000_000, max: 1_000_000 }),
        (kind, seed, scale, shiftHours) => {
          const s = synthetic(kind, { seed, days: 10, perDay: 12 })
          const a = forecast(s.points, { capacity: s.capacity })
          const b = forecast(
            s.points.map(([t, v]) => [t + shiftHours * 3_600_000, v * scale] as const),
            { capacity: s.capacity * scale }
          )
          if (!a.ok || !b.ok) return a.ok === b.ok
          return a.trend === b.trend && a.crossings.every((c, i) => {
            const d = b.crossings[i]!
            const same = (x: number | null, y: number | null) => (x === null ? y === null : y !== null && Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(x)))
            return c.status === d.status && same(c.days, d.days) && same(c.low, d.low) && same(c.high, d.high)
          })
        }
      ),
      { numRuns: 60 }
    )
  })
})
