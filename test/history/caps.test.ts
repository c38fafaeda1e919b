/**
 * The caps: a new series over history_max_series, or a sample needing memory
 * over history_max_bytes, is refused and counted, whatever arrives; the byte
 * count is the memory the buckets really take.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import { Files } from "../../src/adapters/fs/Files.ts"
import * as FilesTest from "../../src/adapters/fs/FilesTest.ts"
import { invalidSample, type Sample, seriesId } from "../../src/history/History.ts"
import { identify } from "../../src/history/store/identify.ts"
import { make } from "../../src/history/HistoryLive.ts"
import { CHUNK_OVERHEAD, DEFAULT_TIERS, Rings, SERIES_OVERHEAD } from "../../src/history/store/Rings.ts"
import { T0 } from "./support.ts"

const NOW = T0 + 800 * 86_400_000
const DAY = 86_400_000

const inMemory = <A, E>(effect: Effect.Effect<A, E, import("effect").Scope.Scope | import("../../src/adapters/fs/Files.ts").Files>) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(NOW)
    return yield* effect
  }).pipe(Effect.scoped, Effect.provide(Layer.merge(FilesTest.layer(), TestClock.layer())))

describe("HistoryLive caps", () => {
  it.effect("a new series over history_max_series is refused and counted; known series go on", () =>
    inMemory(Effect.gen(function*() {
      const h = yield* make({ dir: "/h", maxSeries: 3 })
      const batch: Array<Sample> = ["a", "b", "c", "d", "e"].map((disk) => ({ name: "sigmavault_x", labels: { disk }, value: 1 }))
      assert.deepStrictEqual(yield* h.record(batch), { accepted: 3, refused: 2 })
      assert.deepStrictEqual(yield* h.record(batch), { accepted: 3, refused: 2 })
      const stats = yield* h.stats
      assert.strictEqual(stats.series, 3)
      assert.deepStrictEqual(stats.refused, { seriesCap: 4, byteCap: 0, invalid: 0 })
    })))

  it.effect("at the byte cap the data oldest relative to its tier gives way; queries move to a tier that still holds `from`", () =>
    inMemory(Effect.gen(function*() {
      const maxBytes = 1024 * 1024
      const h = yield* make({ dir: "/h", maxBytes })
      // Two years of one sample an hour in 5 series, oldest first, as a daemon would have recorded them.
      const start = NOW - 730 * DAY
      for (let day = 0; day < 730; day += 1) {
        const batch: Array<Sample> = []
        for (let m = 0; m < 1440; m += 60) for (let s = 0; s < 5; s++) batch.push({ name: "sigmavault_x", labels: { s: String(s) }, value: m, at: start + day * DAY + m * 60_000 })
        const r = yield* h.record(batch)
        assert.strictEqual(r.refused, 0)
        assert.isAtMost((yield* h.stats).bytes, maxBytes)
      }
      const lastDay: Array<Sample> = []
      for (let t = NOW - DAY + 60_000; t <= NOW; t += 10_000) for (let s = 0; s < 5; s++) lastDay.push({ name: "sigmavault_x", labels: { s: String(s) }, value: 1, at: t })
      assert.strictEqual((yield* h.record(lastDay)).refused, 0)
      const stats = yield* h.stats
      assert.isAtMost(stats.bytes, maxBytes)
      assert.strictEqual(stats.refused.byteCap, 0)
      const pressure = yield* h.pressure
      assert.isAbove(pressure.evictedChunks, 0)
      // every tier lost its oldest data, and about the same share of its retention
      const shares = pressure.horizon.map((end, k) => (NOW - end!) / (DEFAULT_TIERS[k]!.step * DEFAULT_TIERS[k]!.capacity))
      for (const share of shares) assert.isTrue(share > 0 && share < 1, JSON.stringify(shares))
      // the last hour is there at 10 s; a range older than the 10 s tier now holds comes from a coarser tier, whole
      const recent = yield* h.query({ name: "sigmavault_x", matchers: [{ label: "s", op: "=", value: "3" }], from: NOW - 3_600_000, to: NOW })
      assert.strictEqual(recent[0]!.resolution, 10_000)
      assert.strictEqual(recent[0]!.points.length, 361)
      const older = NOW - Math.floor(DAY * 0.99)
      const fallback = yield* h.query({ name: "sigmavault_x", matchers: [{ label: "s", op: "=", value: "3" }], from: older, to: NOW })
      assert.isAbove(fallback[0]!.resolution, 10_000)
    })))

  it.effect("a new series may displace only old data: with recent data alone at the cap it is refused and counted", () =>
    inMemory(Effect.gen(function*() {
      const maxBytes = 1024 * 1024
      const h = yield* make({ dir: "/h", maxBytes, maxSeries: 100_000 })
      let refused = 0
      let n = 0
      while (refused === 0) {
        const r = yield* h.record([{ name: "sigmavault_y", labels: { n: String(n++) }, value: 1, at: NOW }])
        refused += r.refused
        assert.isAtMost((yield* h.stats).bytes, maxBytes)
      }
      const stats = yield* h.stats
      assert.strictEqual(stats.refused.byteCap, 1)
      assert.strictEqual(stats.series, n - 1)
      // known series still take samples in the buckets they hold
      assert.deepStrictEqual(yield* h.record([{ name: "sigmavault_y", labels: { n: "0" }, value: 2, at: NOW }]), { accepted: 1, refused: 0 })
    })))

  it.effect("a store kept under a larger cap, reopened under a smaller one, comes back within it as it records", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const files = FilesTest.make()
      const open = (maxBytes: number) => make({ dir: "/h", maxBytes }).pipe(Effect.provideService(Files, files.service))
      yield* Effect.scoped(Effect.gen(function*() {
        const big = yield* open(8 * 1024 * 1024)
        yield* big.record(Array.from({ length: 300 }, (_, n) => ({ name: "sigmavault_z", labels: { n: String(n) }, value: n, at: NOW - 60_000 })))
        assert.isAbove((yield* big.stats).bytes, 4 * 1024 * 1024)
      }))
      const small = yield* open(1024 * 1024)
      assert.strictEqual((yield* small.stats).series, 300)
      for (let tick = 1; tick <= 30; tick++) {
        yield* TestClock.setTime(NOW + tick * 3_600_000)
        yield* small.record(Array.from({ length: 300 }, (_, n) => ({ name: "sigmavault_z", labels: { n: String(n) }, value: n })))
      }
      assert.isAtMost((yield* small.stats).bytes, 1024 * 1024)
    }).pipe(Effect.scoped, Effect.provide(TestClock.layer())))

  it("bytes stay within the cap and every sample is accepted or counted, however samples arrive", async () => {
    const sample = fc.record({
      series: fc.integer({ min: 0, max: 60 }),
      ago: fc.oneof(fc.integer({ min: 0, max: DAY }), fc.integer({ min: 0, max: 731 * DAY }), fc.integer({ min: -600_000, max: 800 * DAY })),
      value: fc.oneof(fc.double(), fc.integer())
    }).map(({ series, ago, value }): Sample => ({ name: `sigmavault_s${series % 7}`, labels: { n: String(series) }, at: NOW - ago, value }))
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(sample, { maxLength: 300 }), { minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 40 }), (batches, maxSeries) =>
        Effect.runPromise(inMemory(Effect.gen(function*() {
          const maxBytes = 1024 * 1024
          const h = yield* make({ dir: "/h", maxBytes, maxSeries })
          let accepted = 0
          let refused = 0
          for (const batch of batches) {
            const r = yield* h.record(batch)
            assert.strictEqual(r.accepted + r.refused, batch.length)
            accepted += r.accepted
            refused += r.refused
            const stats = yield* h.stats
            assert.isAtMost(stats.bytes, maxBytes)
            assert.isAtMost(stats.series, maxSeries)
          }
          const stats = yield* h.stats
          assert.strictEqual(stats.samples, accepted)
          assert.strictEqual(stats.refused.seriesCap + stats.refused.byteCap + stats.refused.invalid, refused)
        })).pipe(Effect.provide(Layer.empty)))
      ),
      { numRuns: 60 }
    )
  }, 120_000)

  it("the byte count is what the chunks and series really hold", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 730 * DAY })), { maxLength: 500 }), (samples) => {
        const rings = new Rings(DEFAULT_TIERS, { maxSeries: 100, maxBytes: samples.length % 2 === 0 ? 64 * 1024 * 1024 : 200_000 })
        for (const [n, ago] of samples) {
          const id = `s${n}`
          const s = rings.series.get(id) ?? rings.addSeries(id, id, {})
          if (typeof s === "string") throw new Error(s)
          rings.add(s, NOW - ago, n)
        }
        let expected = 0
        for (const s of rings.series.values()) {
          expected += SERIES_OVERHEAD + 2 * s.id.length
          for (const ring of s.rings) for (const chunk of ring.chunks.values()) expected += chunk.byteLength + CHUNK_OVERHEAD
        }
        for (const chunk of rings.spare) expected += chunk.byteLength + CHUNK_OVERHEAD
        assert.strictEqual(rings.bytes, expected)
        assert.isAtMost(rings.bytes, rings.caps.maxBytes)
      }),
      { numRuns: 100 }
    )
  })
})

describe("identify", () => {
  it("says what invalidSample and seriesId say, on any sample", () => {
    const text = fc.oneof(fc.constantFrom("", "sda", "tank/media", "a\"b", "x".repeat(300), "__x", "pool", "agent", "9bad", "ünï"), fc.string({ maxLength: 12 }))
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom("sigmavault_x", "bad name", "a:b", "_x", "9x"), fc.string({ maxLength: 10 })),
        fc.option(fc.dictionary(text, text, { maxKeys: 18 }), { nil: undefined }),
        fc.oneof(fc.double(), fc.integer()),
        (name, labels, value) => {
          const sample = { name, labels, value }
          const expected = invalidSample(sample) === undefined ? seriesId(name, labels) : undefined
          assert.strictEqual(identify(sample), expected)
          assert.strictEqual(identify(sample), expected) // and again, from the caches
        }
      ),
      { numRuns: 3000 }
    )
  })
})
