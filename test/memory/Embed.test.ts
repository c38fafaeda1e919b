import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { featureHashingEmbedder, featureVector } from "../../src/memory/Embed.ts"
import { cosine } from "../../src/memory/Hyperplane.ts"

const norm = (vector: Float32Array) => Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0))

describe("featureHashingEmbedder", () => {
  const embedder = featureHashingEmbedder()

  it("names its vector space by version, dimension, n-grams and seed", () => {
    expect(embedder.name).toBe("feature-hash-v1/256/3,4")
    expect(embedder.dimension).toBe(256)
    expect(featureHashingEmbedder({ dimension: 64, ngrams: [], seed: 3 }).name).toBe("feature-hash-v1/64/words/seed-3")
  })

  it("is deterministic and L2-normalised", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }).filter((text) => /[\p{L}\p{N}]/u.test(text)), (text) => {
        const a = embedder.embed(text)
        const b = featureHashingEmbedder().embed(text)
        return a.length === 256 && a.every((x, i) => x === b[i]) && Math.abs(norm(a) - 1) < 1e-5
      }),
      { seed: 11, numRuns: 200 }
    )
  })

  it("gives the zero vector, without NaN, for a text without words", () => {
    for (const text of ["", "   ", "!?  --  ..."]) {
      const vector = embedder.embed(text)
      expect(vector.every((x) => x === 0)).toBe(true)
    }
  })

  it("places similar texts closer than unrelated ones", () => {
    const a = embedder.embed("disk sda reports reallocated sectors increasing")
    const similar = embedder.embed("Disk sdb reported reallocated sector count increased")
    const unrelated = embedder.embed("nightly backup of the photo library completed")
    expect(cosine(a, similar)).toBeGreaterThan(cosine(a, unrelated) + 0.3)
    // Character n-grams tie a typo to its word.
    const typo = embedder.embed("reallocaed sectrs")
    expect(cosine(embedder.embed("reallocated sectors"), typo)).toBeGreaterThan(cosine(embedder.embed("photo library"), typo) + 0.2)
  })

  it("ignores case and punctuation between words", () => {
    expect(embedder.embed("Pool TANK: degraded!")).toEqual(embedder.embed("pool tank degraded"))
  })

  it("makes a different space for a different seed", () => {
    const other = featureHashingEmbedder({ seed: 1 })
    expect(other.embed("pool tank degraded")).not.toEqual(embedder.embed("pool tank degraded"))
  })

  it("refuses impossible options", () => {
    expect(() => featureHashingEmbedder({ dimension: 0 })).toThrow(RangeError)
    expect(() => featureHashingEmbedder({ ngrams: [0] })).toThrow(RangeError)
  })
})

describe("featureVector", () => {
  it("keeps one slot per spec in order, missing or non-finite values as 0", () => {
    const vector = featureVector([{ name: "temperature" }, { name: "reallocated" }, { name: "pending" }], {
      temperature: 41,
      pending: Number.NaN
    })
    expect([...vector]).toEqual([41, 0, 0])
  })

  it("scales log1p, clamps to max in the metric's units and divides by it", () => {
    const specs = [
      { name: "reallocated", scale: "log1p", max: 1000 },
      { name: "temperature", scale: "linear", max: 80 },
      { name: "hours", scale: "log1p" }
    ] as const
    const vector = featureVector(specs, { reallocated: 99, temperature: 120, hours: Math.E - 1 })
    expect(vector[0]).toBeCloseTo(Math.log(100) / Math.log(1001), 6)
    expect(vector[1]).toBe(1)
    expect(vector[2]).toBeCloseTo(1, 6)
    expect(featureVector(specs, { temperature: -200 })[1]).toBe(-1)
  })

  it("keeps magnitudes: the same direction at different sizes stays apart", () => {
    const specs = [{ name: "reallocated", scale: "log1p" as const }]
    const few = featureVector(specs, { reallocated: 2 })
    const many = featureVector(specs, { reallocated: 2000 })
    expect(many[0]! - few[0]!).toBeGreaterThan(5)
  })

  it("refuses a max that is not positive", () => {
    expect(() => featureVector([{ name: "x", max: 0 }], { x: 1 })).toThrow(RangeError)
  })
})
