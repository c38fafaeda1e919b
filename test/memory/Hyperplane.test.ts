import { describe, expect, it } from "vitest"
import { cosine, HyperplaneLsh, hyperplaneParameters } from "../../src/memory/Hyperplane.ts"
import * as Random from "../../src/memory/internal/Random.ts"

const gaussianVector = (random: Random.Random, dimension: number) => Float64Array.from({ length: dimension }, () => random.nextGaussian())

/** `base` turned by the angle whose cosine is `similarity`, in a random direction. */
const nearCopy = (random: Random.Random, base: Float64Array, similarity: number) => {
  const noise = gaussianVector(random, base.length)
  // Keep only the noise orthogonal to base, so the angle is exact.
  const along = noise.reduce((sum, x, i) => sum + x * base[i]!, 0) / base.reduce((sum, x) => sum + x * x, 0)
  const orthogonal = noise.map((x, i) => x - along * base[i]!)
  const scale = Math.hypot(...base) / Math.hypot(...orthogonal) * Math.tan(Math.acos(similarity))
  return base.map((x, i) => x + scale * orthogonal[i]!)
}

describe("cosine", () => {
  it("is exact, and 0 for a zero vector", () => {
    expect(cosine([1, 0], [0, 1])).toBe(0)
    expect(cosine([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12)
    expect(cosine([1, 2], [-1, -2])).toBeCloseTo(-1, 12)
    expect(cosine([0, 0, 0], [1, 2, 3])).toBe(0)
    expect(cosine([3, 4], [4, 3])).toBeCloseTo(24 / 25, 12)
  })

  it("refuses vectors of different lengths", () => {
    expect(() => cosine([1, 2], [1, 2, 3])).toThrow(RangeError)
  })
})

describe("hyperplaneParameters", () => {
  it("gives a modest index for near-duplicates at 0.95 that reaches its recall target", () => {
    const { tables, bits, recallAtThreshold } = hyperplaneParameters(0.95)
    expect({ tables, bits }).toEqual({ tables: 12, bits: 14 })
    expect(recallAtThreshold).toBeGreaterThanOrEqual(0.95)
    // An unrelated (orthogonal) vector rarely becomes a candidate.
    expect(1 - (1 - 0.5 ** bits) ** tables).toBeLessThan(1e-3)
  })

  it("needs more tables as the threshold falls, and says when it cannot reach the recall target", () => {
    expect(hyperplaneParameters(0.9).tables).toBeGreaterThan(hyperplaneParameters(0.95).tables)
    const loose = hyperplaneParameters(0.5)
    expect(loose.tables).toBe(64)
    expect(loose.recallAtThreshold).toBeLessThan(0.5)
  })
})

describe("HyperplaneLsh", () => {
  it("finds near-duplicate vectors: recall >= 0.9 for pairs at cosine >= 0.95", () => {
    const random = Random.make(77)
    const dimension = 64
    const { tables, bits } = hyperplaneParameters(0.95)
    const lsh = new HyperplaneLsh<number>({ dimension, tables, bits, seed: 5 })
    const vectors = Array.from({ length: 2_000 }, () => gaussianVector(random, dimension))
    vectors.forEach((vector, id) => lsh.insert(id, vector))

    let pairs = 0
    let found = 0
    let candidates = 0
    for (let i = 0; i < 300; i++) {
      const base = i * 6
      const query = nearCopy(random, vectors[base]!, 0.95 + 0.04 * random.nextFloat())
      const hits = lsh.candidates(query)
      candidates += hits.size
      for (let id = 0; id < vectors.length; id++) {
        if (cosine(query, vectors[id]!) < 0.95) continue
        pairs++
        if (hits.has(id)) found++
      }
    }
    expect(pairs).toBeGreaterThanOrEqual(300)
    expect(found / pairs).toBeGreaterThanOrEqual(0.9)
    expect(candidates / 300).toBeLessThan(10) // a handful per query, not a scan of 2,000
  })

  it("estimates cosine from the codes' Hamming distance", () => {
    const random = Random.make(3)
    const lsh = new HyperplaneLsh<number>({ dimension: 32, tables: 32, bits: 32, seed: 1 })
    for (const similarity of [0.2, 0.6, 0.9]) {
      const base = gaussianVector(random, 32)
      const copy = nearCopy(random, base, similarity)
      expect(Math.abs(lsh.estimatedCosine(base, copy) - cosine(base, copy))).toBeLessThan(0.1)
    }
    const v = gaussianVector(random, 32)
    expect(lsh.estimatedCosine(v, v)).toBe(1)
    expect(lsh.estimatedCosine(v, v.map((x) => -x))).toBeCloseTo(-1, 12)
  })

  it("is deterministic for a seed", () => {
    const vector = Float64Array.from({ length: 16 }, (_, i) => Math.sin(i))
    const a = new HyperplaneLsh<string>({ dimension: 16, tables: 4, bits: 32, seed: 9 })
    const b = new HyperplaneLsh<string>({ dimension: 16, tables: 4, bits: 32, seed: 9 })
    const other = new HyperplaneLsh<string>({ dimension: 16, tables: 4, bits: 32, seed: 10 })
    a.insert("x", vector)
    b.insert("x", vector)
    other.insert("x", vector)
    const probe = vector.map((x, i) => x + (i % 2 === 0 ? 0.2 : -0.2))
    expect(a.estimatedCosine(vector, probe)).toBe(b.estimatedCosine(vector, probe))
    expect(a.estimatedCosine(vector, probe)).not.toBe(other.estimatedCosine(vector, probe))
  })

  it("forgets removed ids and replaces a re-inserted one", () => {
    const lsh = new HyperplaneLsh<string>({ dimension: 3, tables: 4, bits: 8, seed: 1 })
    lsh.insert("a", [1, 2, 3])
    lsh.insert("b", [1, 2, 3.01])
    expect(lsh.candidates([1, 2, 3])).toEqual(new Set(["a", "b"]))
    lsh.remove("a")
    lsh.remove("unknown")
    expect(lsh.size).toBe(1)
    expect(lsh.candidates([1, 2, 3])).toEqual(new Set(["b"]))
    lsh.insert("b", [-3, 1, -2])
    expect(lsh.size).toBe(1)
    expect(lsh.candidates([1, 2, 3]).size).toBe(0)
    expect(lsh.candidates([-3, 1, -2])).toEqual(new Set(["b"]))
  })

  it("refuses vectors of the wrong dimension and more than 32 bits per table", () => {
    const lsh = new HyperplaneLsh<number>({ dimension: 4, tables: 1, bits: 4, seed: 0 })
    expect(() => lsh.insert(1, [1, 2, 3])).toThrow(/3 dimensions, the index has 4/)
    expect(() => new HyperplaneLsh<number>({ dimension: 4, tables: 1, bits: 33, seed: 0 })).toThrow(RangeError)
  })
})

describe("Random (the hyperplanes' source)", () => {
  it("draws standard normals identically on every runtime", () => {
    const random = Random.make(7)
    let weighted = 0
    let sum = 0
    let squares = 0
    for (let i = 0; i < 10_000; i++) {
      const g = random.nextGaussian()
      weighted += g * (i % 7)
      sum += g
      squares += g * g
    }
    // Computed once under Bun 1.4; the draw uses only IEEE basic operations, so Node must agree to the bit.
    expect(weighted).toBe(45.137435953123955)
    expect(Math.abs(sum / 10_000)).toBeLessThan(0.03)
    expect(Math.abs(squares / 10_000 - 1)).toBeLessThan(0.05)
  })

  it("computes the natural logarithm to within a few ulp", () => {
    for (const x of [1e-300, 1e-9, 0.001, 0.5, 0.7071, 1, 1.5, 2, 10, 12345.678, 1e300]) {
      expect(Math.abs(Random.naturalLog(x) - Math.log(x))).toBeLessThanOrEqual(4 * Number.EPSILON * Math.max(1, Math.abs(Math.log(x))))
    }
  })
})
