import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { tmpdir } from "node:os"
import { HnswIndex, type HnswOptions } from "../../src/memory/Hnsw.ts"
import { scratchFileIn } from "../../src/memory/internal/scratch.ts"

const scratch = scratchFileIn(tmpdir())

/** mulberry32: a seeded source, so the dataset (and the recall figure) is the same on every run. */
const seeded = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const dataset = (count: number, dimension: number, seed: number) => {
  const random = seeded(seed)
  return Array.from({ length: count }, () => Array.from({ length: dimension }, () => random() * 2 - 1))
}

const l2 = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => a.reduce((sum, x, i) => sum + (x - b[i]!) ** 2, 0)

const options = (overrides: Partial<HnswOptions> = {}): HnswOptions => ({
  space: "l2",
  dimension: 16,
  m: 16,
  efConstruction: 200,
  ef: 64,
  seed: 42,
  initialCapacity: 16,
  ...overrides
})

const labelsOf = (result: Result.Result<ReadonlyArray<{ label: number }>, unknown>) =>
  Result.getOrThrow(result).map((n) => n.label)

describe("HnswIndex", () => {
  it("finds the true 10 nearest neighbours (recall@10 >= 0.95 against brute force), growing as it fills", () => {
    const points = dataset(3000, 16, 1)
    const index = HnswIndex.create(options())
    points.forEach((p, label) => expect(Result.isSuccess(index.add(label, p, true))).toBe(true))
    expect(index.size).toBe(3000)
    expect(index.capacity).toBeGreaterThanOrEqual(3000)

    const queries = dataset(100, 16, 2)
    let hits = 0
    for (const q of queries) {
      const truth = new Set(points.map((p, label) => ({ label, d: l2(p, q) })).sort((a, b) => a.d - b.d).slice(0, 10).map((x) => x.label))
      hits += labelsOf(index.search(q, 10)).filter((label) => truth.has(label)).length
    }
    expect(hits / (queries.length * 10)).toBeGreaterThanOrEqual(0.95)
  })

  it("never returns a deleted label, and recycles its slot", () => {
    const index = HnswIndex.create(options({ dimension: 2, space: "cosine", initialCapacity: 4 }))
    for (const [label, v] of [[0, [1, 0]], [1, [0, 1]], [2, [1, 1]], [3, [-1, 0]]] as const) index.add(label, v, true)
    index.remove(0)
    expect(labelsOf(index.search([1, 0], 4))).not.toContain(0)
    expect(index.size).toBe(3)
    index.add(4, [1, 0.01], true)
    expect(index.capacity).toBe(4) // the deleted slot was reused, no growth
    expect(labelsOf(index.search([1, 0], 1))).toEqual([4])
    index.remove(4)
    index.remove(4) // a second delete is harmless
    expect(index.size).toBe(3)
  })

  it("refuses vectors of the wrong size, with NaN, or zero in cosine space, naming the fault", () => {
    const index = HnswIndex.create(options({ dimension: 3, space: "cosine" }))
    const failure = (r: Result.Result<unknown, { message: string }>) => (Result.isFailure(r) ? r.failure.message : "accepted")
    expect(failure(index.add(0, [1, 2], true))).toBe("invalid vector: expected 3 numbers, got 2")
    expect(failure(index.add(0, [1, Number.NaN, 0], true))).toBe("invalid vector: element 1 is NaN, not a finite number")
    expect(failure(index.add(0, [0, 0, 0], true))).toContain("zero vector")
    expect(failure(index.search([1, 2, Infinity], 1))).toContain("element 2 is Infinity")
    expect(index.size).toBe(0)
    expect(labelsOf(index.search([1, 0, 0], 5))).toEqual([])
  })

  it("answers each search for its own query, also after a refused one (the query array is reused)", () => {
    const index = HnswIndex.create(options({ dimension: 3, space: "l2" }))
    for (const [label, v] of [[0, [10, 0, 0]], [1, [0, 10, 0]], [2, [0, 0, 10]]] as const) index.add(label, v, true)
    expect(labelsOf(index.search([9, 1, 0], 1))).toEqual([0])
    expect(Result.isFailure(index.search([0, 9, Number.NaN], 1))).toBe(true) // refused after copying two elements
    expect(labelsOf(index.search([1, 1, 9], 1))).toEqual([2])
    expect(labelsOf(index.search(new Float32Array([0, 9, 1]), 1))).toEqual([1])
  })

  it("round-trips through bytes with ef restored (hnswlib does not store it)", () => {
    const points = dataset(200, 8, 3)
    const index = HnswIndex.create(options({ dimension: 8, ef: 77 }))
    points.forEach((p, label) => index.add(label, p, true))
    index.remove(5)
    const bytes = Result.getOrThrow(index.toBytes(scratch))
    const loaded = Result.getOrThrow(HnswIndex.fromBytes(options({ dimension: 8, ef: 77 }), bytes, 199, scratch))
    expect(loaded.ef).toBe(77)
    expect(loaded.size).toBe(199)
    for (const q of dataset(10, 8, 4)) expect(labelsOf(loaded.search(q, 5))).toEqual(labelsOf(index.search(q, 5)))
    expect(labelsOf(loaded.search(points[5]!, 1))).not.toContain(5)
  })

  it("reports an unreadable index as a failure, not a crash", () => {
    const garbage = HnswIndex.fromBytes(options(), new Uint8Array([1, 2, 3]), 0, scratch)
    expect(Result.isFailure(garbage)).toBe(true)
    const wrongDimension = HnswIndex.fromBytes(
      options({ dimension: 4 }),
      Result.getOrThrow(HnswIndex.create(options()).toBytes(scratch)),
      0,
      scratch
    )
    expect(Result.isFailure(wrongDimension) ? wrongDimension.failure.message : "").toContain("expected 4")
    const full = HnswIndex.create(options())
    dataset(50, 16, 5).forEach((p, label) => full.add(label, p, true))
    const bytes = Result.getOrThrow(full.toBytes(scratch))
    const truncated = HnswIndex.fromBytes(options(), bytes.subarray(0, bytes.length / 2), 50, scratch)
    expect(Result.isFailure(truncated) ? truncated.failure.message : "").toContain("truncated")
  })
})
