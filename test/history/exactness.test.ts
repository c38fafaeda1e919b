/**
 * HistoryLive against the brute-force HistoryTest: random samples (random
 * series, times over two years, out of order), random queries at each tier's
 * resolution or a multiple of it: the same points. Integer values, so sums are
 * exact and avg compares with ===. Also: a checkpoint and a restart change no
 * answer.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import * as FilesTest from "../../src/adapters/fs/FilesTest.ts"
import { Files } from "../../src/adapters/fs/Files.ts"
import type { Consolidation, Matcher, MetricHistoryShape, Query, Sample } from "../../src/history/History.ts"
import { make } from "../../src/history/HistoryLive.ts"
import * as HistoryTest from "../../src/history/HistoryTest.ts"
import { DEFAULT_TIERS } from "../../src/history/store/Rings.ts"

const NOW = Date.UTC(2026, 5, 1, 12, 34, 56, 789)
const FUTURE = 300_000
const DAY = 86_400_000
const NAMES = ["sigmavault_a_bytes", "sigmavault_b_total"]

const covers = (k: number, at: number) => {
  const t = DEFAULT_TIERS[k]!
  return Math.floor(at / t.step) > Math.floor((NOW + FUTURE) / t.step) - t.capacity
}
const tierFor = (from: number) => [0, 1, 2].find((k) => covers(k, from)) ?? 2

/** Samples within `span` ms before now, bunched so buckets hold several. */
const samplesArb = (span: number) =>
  fc.array(
    fc.record({
      name: fc.constantFrom(...NAMES),
      disk: fc.constantFrom("sda", "sdb", ""),
      // bunch times into a few regions so that buckets hold several samples
      region: fc.integer({ min: 0, max: 7 }),
      offset: fc.integer({ min: 0, max: 4 * 3_600_000 }),
      value: fc.integer({ min: -1_000_000, max: 1_000_000 })
    }).map(({ name, disk, region, offset, value }): Sample => ({
      name,
      labels: disk === "" ? {} : { disk },
      at: Math.max(NOW - span + 60_000, NOW - Math.floor((region / 8) * span) - offset),
      value
    })),
    { minLength: 1, maxLength: 400 }
  )

const queryArb = fc.record({
  tier: fc.constantFrom(0, 1, 2),
  multiple: fc.integer({ min: 1, max: 30 }),
  fromFraction: fc.double({ min: 0, max: 1, noNaN: true }),
  steps: fc.integer({ min: 1, max: 400 }),
  how: fc.constantFrom<Consolidation>("avg", "min", "max", "last"),
  name: fc.constantFrom(...NAMES),
  matcher: fc.option(fc.constantFrom<Matcher>({ label: "disk", op: "=", value: "sda" }, { label: "disk", op: "!~", value: "sd[a]" }), { nil: undefined })
}).map(({ tier, multiple, fromFraction, steps, how, name, matcher }) => {
  const t = DEFAULT_TIERS[tier]!
  const step = t.step * multiple
  const oldest = NOW + FUTURE - t.step * t.capacity + t.step
  const newest = tier === 0 ? NOW : NOW - DEFAULT_TIERS[tier - 1]!.step * DEFAULT_TIERS[tier - 1]!.capacity
  const from = Math.ceil((oldest + fromFraction * (newest - oldest)) / step) * step
  const query: Query = { name, from, to: from + steps * step - 1, step, consolidate: how, ...(matcher === undefined ? {} : { matchers: [matcher] }) }
  return { tier, query }
})

const run = <A>(effect: Effect.Effect<A, unknown, Files | import("effect").Scope.Scope>, files = FilesTest.make()) =>
  Effect.runPromise(
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      return yield* effect
    }).pipe(Effect.scoped, Effect.provide(Layer.merge(TestClock.layer(), files.layer)))
  )

const answers = (h: MetricHistoryShape, query: Query) =>
  Effect.map(h.query(query), (series) =>
    series.map((s) => ({ id: JSON.stringify([s.name, s.labels]), points: s.points })).sort((a, b) => (a.id < b.id ? -1 : 1))
  )

describe("HistoryLive answers exactly as the brute-force HistoryTest at its resolution", () => {
  it("random samples over two years, random queries at every tier", async () => {
    await fc.assert(
      fc.asyncProperty(samplesArb(730 * DAY), fc.array(queryArb, { minLength: 1, maxLength: 12 }), fc.constantFrom(1, 7), (samples, queries, batch) =>
        run(Effect.gen(function*() {
          const live = yield* make({ dir: "/h" })
          const reference = yield* HistoryTest.make()
          for (let i = 0; i < samples.length; i += batch) {
            const part = samples.slice(i, i + batch)
            const r = yield* live.record(part)
            assert.deepStrictEqual(r, { accepted: part.length, refused: 0 })
            yield* reference.record(part)
          }
          for (const { tier, query } of queries) {
            if (tierFor(query.from) !== tier) continue
            const got = yield* live.query(query)
            for (const s of got) assert.strictEqual(s.resolution, DEFAULT_TIERS[tier]!.step)
            assert.deepStrictEqual(yield* answers(live, query), yield* answers(reference, query), JSON.stringify(query))
          }
          assert.deepStrictEqual(
            (yield* live.latest()).map((l) => [l.name, l.labels, l.at, l.value]).sort(),
            (yield* reference.latest()).map((l) => [l.name, l.labels, l.at, l.value]).sort()
          )
        })),
      ),
      { numRuns: 150 }
    )
  }, 120_000)

  it("within the last day, at the 10 s tier and its multiples", async () => {
    await fc.assert(
      fc.asyncProperty(samplesArb(DAY - 120_000), fc.array(queryArb.filter((q) => q.tier === 0), { minLength: 1, maxLength: 12 }), (samples, queries) =>
        run(Effect.gen(function*() {
          const live = yield* make({ dir: "/h" })
          const reference = yield* HistoryTest.make()
          yield* live.record(samples)
          yield* reference.record(samples)
          for (const { query } of queries) {
            if (tierFor(query.from) !== 0) continue
            assert.deepStrictEqual(yield* answers(live, query), yield* answers(reference, query), JSON.stringify(query))
          }
        }))
      ),
      { numRuns: 150 }
    )
  }, 120_000)

  it("a checkpoint, a journal and a restart change no answer", async () => {
    await fc.assert(
      fc.asyncProperty(samplesArb(730 * DAY), samplesArb(DAY), fc.array(queryArb, { minLength: 1, maxLength: 8 }), (older, newer, queries) => {
        const files = FilesTest.make()
        return run(Effect.gen(function*() {
          const before = yield* Effect.scoped(Effect.gen(function*() {
            const live = yield* make({ dir: "/h" })
            yield* live.record(older)
            yield* live.checkpoint
            yield* live.record(newer)
            yield* live.flush
            return yield* Effect.forEach(queries, ({ query }) => answers(live, query))
          }).pipe(Effect.provideService(Files, files.service)))
          // a power cut: what was not fsynced is gone; all of it was (flush)
          files.crash()
          const reopened = yield* make({ dir: "/h" })
          assert.deepStrictEqual(yield* Effect.forEach(queries, ({ query }) => answers(reopened, query)), before)
          assert.strictEqual((yield* reopened.stats).samples, older.length + newer.length)
        }), files)
      }),
      { numRuns: 40 }
    )
  }, 120_000)
})

describe("under the byte cap's pressure", () => {
  it("what a tier answers after evictions (from its horizon on) is still exact", async () => {
    const MAX = 1024 * 1024
    let compared = 0
    let evicted = 0
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 8, max: 24 }),
        fc.integer({ min: 1, max: 20 }).map((m) => m * 60_000),
        fc.array(queryArb, { minLength: 1, maxLength: 10 }),
        (seriesCount, spacing, queries) =>
          run(Effect.gen(function*() {
            const live = yield* make({ dir: "/h", maxBytes: MAX })
            const reference = yield* HistoryTest.make()
            // two days up to now, in time order, every series each tick
            for (let at = NOW - 2 * DAY; at <= NOW; at += spacing) {
              const tick = Array.from({ length: seriesCount }, (_, s): Sample => ({ name: NAMES[s % 2]!, labels: { disk: `d${s}` }, value: (at / 1000 + s) % 97, at }))
              assert.strictEqual((yield* live.record(tick)).refused, 0)
              yield* reference.record(tick)
            }
            const pressure = yield* live.pressure
            fc.pre(pressure.tierMisses === 0)
            evicted += pressure.evictedChunks
            for (const { tier, query } of queries) {
              const expectedTier = [0, 1, 2].find((k) => covers(k, query.from) && query.from >= (pressure.horizon[k] ?? -Infinity)) ?? 2
              if (expectedTier !== tier) continue
              const got = yield* live.query(query)
              for (const s of got) assert.strictEqual(s.resolution, DEFAULT_TIERS[tier]!.step)
              assert.deepStrictEqual(yield* answers(live, query), yield* answers(reference, query), JSON.stringify(query))
              compared++
            }
            assert.isAtMost((yield* live.stats).bytes, MAX)
          }))
      ),
      { numRuns: 25 }
    )
    // the property saw evictions, and compared answers after them
    assert.isAbove(evicted, 0)
    assert.isAbove(compared, 10)
  }, 180_000)
})
