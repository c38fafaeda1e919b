import { createHash } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fc from "fast-check"
import { chunkLengths, chunkStream, DEFAULT_CHUNKER, describeParams, makeCutter } from "../../src/chunkstore/Chunker.ts"
import { concat, randomData, SMALL_CHUNKS, textData } from "./support.ts"

const cutter = makeCutter(SMALL_CHUNKS)
const { avgSize, maxSize, minSize } = SMALL_CHUNKS

const chunksOf = (bytes: Uint8Array): Array<Uint8Array> => {
  const out: Array<Uint8Array> = []
  let at = 0
  for (const length of chunkLengths(cutter, bytes)) {
    out.push(bytes.subarray(at, at + length))
    at += length
  }
  return out
}
const digest = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")
const digests = (bytes: Uint8Array) => chunksOf(bytes).map(digest)

/** How many chunks of `after` were not chunks of `before`. */
const newChunks = (before: Uint8Array, after: Uint8Array) => {
  const known = new Set(digests(before))
  return digests(after).filter((id) => !known.has(id)).length
}

describe("FastCDC chunk sizes", () => {
  it("every chunk is within min and max (only a last chunk may be shorter), and the chunks cover the input", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 400_000 }), fc.boolean(), (seed, size, text) => {
        const bytes = text ? textData(seed, size) : randomData(seed, size)
        const lengths = chunkLengths(cutter, bytes)
        assert.strictEqual(lengths.reduce((sum, length) => sum + length, 0), size)
        lengths.forEach((length, i) => {
          assert.isAtMost(length, maxSize)
          if (i < lengths.length - 1) assert.isAtLeast(length, minSize)
          assert.isAbove(length, 0)
        })
      }),
      { numRuns: 60, seed: 7 }
    )
  })

  it("cuts at most maxSize from input with no boundaries at all (all zeros)", () => {
    const lengths = chunkLengths(cutter, new Uint8Array(5 * maxSize + 10))
    assert.deepStrictEqual(lengths, [maxSize, maxSize, maxSize, maxSize, maxSize, 10])
  })

  it("averages near the configured size on random data (normalized chunking)", () => {
    const lengths = chunkLengths(cutter, randomData("average", 8 * 1024 * 1024))
    const mean = lengths.reduce((sum, length) => sum + length, 0) / lengths.length
    assert.isAbove(mean, avgSize * 0.9)
    assert.isBelow(mean, avgSize * 1.5)
    // Normalization keeps most chunks between half and twice the average.
    const near = lengths.filter((length) => length >= avgSize / 2 && length <= avgSize * 2).length
    assert.isAbove(near / lengths.length, 0.8)
  })

  it("refuses unusable parameters", () => {
    assert.match(describeParams({ minSize: 4096, avgSize: 12_000, maxSize: 65_536 })!, /power of two/)
    assert.match(describeParams({ minSize: 32_768, avgSize: 16_384, maxSize: 65_536 })!, /minSize < avgSize < maxSize/)
    assert.match(describeParams({ minSize: 1, avgSize: 16_384, maxSize: 65_536 })!, /minSize/)
    assert.isUndefined(describeParams(DEFAULT_CHUNKER))
    assert.throws(() => makeCutter({ minSize: 10, avgSize: 20, maxSize: 30 }), RangeError)
  })
})

describe("FastCDC boundary stability", () => {
  const base = randomData("stability", 1024 * 1024)
  const before = digests(base)

  /** Per edit: chunks of the edited data that are new, and old chunks that survive. */
  const edits = (edit: fc.Arbitrary<Uint8Array>, runs: number) => {
    const outcomes: Array<{ fresh: number; kept: number }> = []
    fc.assert(
      fc.property(edit, (after) => {
        const now = new Set(digests(after))
        outcomes.push({ fresh: newChunks(base, after), kept: before.filter((id) => now.has(id)).length })
      }),
      { numRuns: runs, seed: 20_250_102 }
    )
    return outcomes
  }
  const mean = (values: ReadonlyArray<number>) => values.reduce((sum, value) => sum + value, 0) / values.length

  it("inserting bytes at the front changes only the first chunk or two: nearly every chunk id is shared", () => {
    const outcomes = edits(fc.uint8Array({ minLength: 1, maxLength: 5000 }).map((inserted) => concat(inserted, base)), 60)
    // Typically one new chunk (the first), sometimes two; resynchronizing never takes long.
    assert.isAtMost(mean(outcomes.map((o) => o.fresh)), 1.5)
    for (const { fresh, kept } of outcomes) {
      assert.isAtMost(fresh, 4)
      assert.isAtLeast(kept, before.length - 4)
      assert.isAtLeast(kept / before.length, 0.9)
    }
  })

  it("an edit in the middle changes only the chunks around it", () => {
    const outcomes = edits(
      fc.tuple(fc.integer({ min: 0, max: base.byteLength - 1 }), fc.uint8Array({ minLength: 1, maxLength: 300 }))
        .map(([at, inserted]) => concat(base.subarray(0, at), inserted, base.subarray(at))),
      60
    )
    assert.isAtMost(mean(outcomes.map((o) => o.fresh)), 1.5)
    for (const { fresh, kept } of outcomes) {
      assert.isAtMost(fresh, 4)
      assert.isAtLeast(kept, before.length - 4)
    }
  })

  it("removing bytes at the front changes only the first few chunks", () => {
    const outcomes = edits(fc.integer({ min: 1, max: 40_000 }).map((cut) => base.subarray(cut)), 60)
    assert.isAtMost(mean(outcomes.map((o) => o.fresh)), 1.6)
    for (const { fresh } of outcomes) assert.isAtMost(fresh, 4)
  })
})

describe("FastCDC streaming", () => {
  it.effect("cuts the same chunks whatever sizes the reads return and whatever the buffer's slack", () =>
    Effect.gen(function*() {
      const run = Effect.runPromiseWith(yield* Effect.context<never>())
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            fc.integer({ min: 0, max: 300_000 }),
            fc.array(fc.integer({ min: 1, max: 100_000 }), { minLength: 1, maxLength: 8 }),
            fc.integer({ min: 1, max: 70_000 }),
            async (size, readSizes, slack) => {
              const bytes = textData(`stream-${size}`, size)
              let position = 0
              let call = 0
              const read = (buffer: Uint8Array, offset: number, length: number) =>
                Effect.sync(() => {
                  const wanted = Math.min(length, readSizes[call++ % readSizes.length]!, bytes.byteLength - position)
                  buffer.set(bytes.subarray(position, position + wanted), offset)
                  position += wanted
                  return wanted
                })
              const streamed: Array<string> = []
              const total = await run(chunkStream(cutter, read, (chunk) => Effect.sync(() => void streamed.push(digest(chunk))), new Uint8Array(maxSize + slack)))
              assert.strictEqual(total, size)
              assert.deepStrictEqual(streamed, digests(bytes))
            }
          ),
          { numRuns: 40, seed: 11 }
        )
      )
    }))
})
