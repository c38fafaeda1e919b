import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as Random from "../../src/memory/internal/Random.ts"
import {
  EMPTY_SLOT,
  estimateJaccard,
  jaccard,
  lshParameters,
  MinHasher,
  MinHashLsh,
  normalizeText,
  shingles
} from "../../src/memory/MinHash.ts"

/** Random texts from a made-up vocabulary, and copies with one to three character or word edits. */
const nearDuplicateCorpus = (seed: number, originals: number, copies: number) => {
  const random = Random.make(seed)
  const letters = "abcdefghijklmnopqrstuvwxyz"
  const word = () => Array.from({ length: 3 + random.nextInt(7) }, () => letters[random.nextInt(26)]!).join("")
  const vocabulary = Array.from({ length: 3_000 }, word)
  const texts = Array.from({ length: originals }, () =>
    Array.from({ length: 14 + random.nextInt(10) }, () => vocabulary[random.nextInt(vocabulary.length)]!).join(" "))
  const edit = (text: string) => {
    const at = random.nextInt(text.length)
    switch (random.nextInt(4)) {
      case 0: return text.slice(0, at) + letters[random.nextInt(26)] + text.slice(at + 1)
      case 1: return text.slice(0, at) + text.slice(at + 1)
      case 2: return text.slice(0, at) + letters[random.nextInt(26)] + text.slice(at)
      default: return `${text} ${vocabulary[random.nextInt(vocabulary.length)]}`
    }
  }
  for (let i = 0; i < copies; i++) {
    let copy = texts[random.nextInt(originals)]!
    for (let edits = 1 + random.nextInt(3); edits > 0; edits--) copy = edit(copy)
    texts.push(copy.toUpperCase().replace(/ /g, random.nextInt(2) === 0 ? " " : "  "))
  }
  return texts
}

/**
 * The exact Jaccard similarity of two sorted arrays when it is at least
 * `threshold`, else 0: a merge that gives up once the symmetric difference
 * exceeds what the threshold allows, (1 - t) / (1 + t) of |A| + |B|. Fast
 * enough for the exact scan of the recall test.
 */
const jaccardAtLeast = (a: Uint32Array, b: Uint32Array, threshold: number) => {
  if (a.length + b.length === 0) return 1
  // The epsilon keeps a pair exactly at the threshold (4/5 at 0.8) from rounding out.
  const allowed = (a.length + b.length) * (1 - threshold) / (1 + threshold) + 1e-9
  let i = 0
  let j = 0
  let shared = 0
  let differing = 0
  while (i < a.length && j < b.length) {
    if (a[i]! === b[j]!) {
      shared++
      i++
      j++
    } else {
      if (a[i]! < b[j]!) i++
      else j++
      if (++differing > allowed) return 0
    }
  }
  const similarity = shared / (a.length + b.length - shared)
  return similarity >= threshold ? similarity : 0
}

describe("normalizeText and shingles", () => {
  it("ignores case and whitespace differences", () => {
    expect(normalizeText("  Pool  TANK\n\tdegraded ")).toBe("pool tank degraded")
    expect(shingles("Pool TANK degraded")).toEqual(shingles("pool   tank\ndegraded  "))
  })

  it("gives one shingle per k-character window, one for a short text and none for an empty one", () => {
    expect(shingles("abcdefg", 5).size).toBe(3)
    expect(shingles("abc", 5).size).toBe(1)
    expect(shingles("abc", 5)).not.toEqual(shingles("abd", 5))
    expect(shingles(" \n ").size).toBe(0)
    expect(shingles("").size).toBe(0)
  })

  it("is deterministic and yields uint32 values", () => {
    const set = shingles("scrub of pool tank finished with 0 errors")
    expect(set).toEqual(shingles("scrub of pool tank finished with 0 errors"))
    for (const value of set) expect(Number.isInteger(value) && value >= 0 && value < 2 ** 32).toBe(true)
  })
})

describe("jaccard", () => {
  it("agrees with the recall test's exact scan", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(40)), fc.uniqueArray(fc.nat(40)), fc.constantFrom(0.5, 0.75, 0.8, 0.9, 0.37), (a, b, t) => {
        const exact = jaccard(new Set(a), new Set(b))
        const scanned = jaccardAtLeast(Uint32Array.from(a).sort(), Uint32Array.from(b).sort(), t)
        return exact >= t ? scanned === exact : scanned === 0
      }),
      { seed: 4, numRuns: 500 }
    )
  })

  it("is exact, symmetric, and 1 for two empty sets", () => {
    expect(jaccard(new Set([1, 2, 3]), new Set([2, 3, 4]))).toBe(0.5)
    expect(jaccard(new Set([2, 3, 4]), new Set([1, 2, 3]))).toBe(0.5)
    expect(jaccard(new Set(), new Set())).toBe(1)
    expect(jaccard(new Set([1]), new Set())).toBe(0)
  })
})

describe("MinHasher", () => {
  it("gives the same signature for the same seed, on every runtime", () => {
    const text = shingles("The quick brown fox jumps over the lazy dog, twice.")
    const a = new MinHasher({ permutations: 128, seed: 42 }).signature(text)
    const b = new MinHasher({ permutations: 128, seed: 42 }).signature(text)
    expect(a).toEqual(b)
    // Computed once under Bun 1.4: exact integer arithmetic must give the same on Node.
    expect(a.reduce((sum, slot) => (sum * 31 + slot) % 1_000_000_007, 0)).toBe(899_879_381)
    expect(new MinHasher({ permutations: 128, seed: 43 }).signature(text)).not.toEqual(a)
  })

  it("computes (a x + b) mod (2^31 - 1) exactly, also for products beyond 2^53", () => {
    // Compare against BigInt on the hasher's own coefficients, recovered from one-element sets.
    const hasher = new MinHasher({ permutations: 16, seed: 9 })
    const p = 2n ** 31n - 1n
    const b = hasher.signature(new Set([0]))
    const aPlusB = hasher.signature(new Set([1]))
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (x) => {
        const signature = hasher.signature(new Set([x]))
        return signature.every((slot, i) => {
          const a = (BigInt(aPlusB[i]!) - BigInt(b[i]!) + p) % p
          return BigInt(slot) === (a * (BigInt(x) % p) + BigInt(b[i]!)) % p
        })
      }),
      { seed: 3, numRuns: 500 }
    )
  })

  it("gives the empty set a signature that matches only another empty set", () => {
    const hasher = new MinHasher({ permutations: 32, seed: 1 })
    const empty = hasher.signature(new Set())
    expect(empty.every((slot) => slot === EMPTY_SLOT)).toBe(true)
    expect(estimateJaccard(empty, hasher.signature(new Set()))).toBe(1)
    expect(estimateJaccard(empty, hasher.signature(new Set([5])))).toBe(0)
  })

  it("estimates Jaccard within the expected error (about 1/sqrt(permutations))", () => {
    const hasher = new MinHasher({ permutations: 256, seed: 5 })
    const a = new Set(Array.from({ length: 400 }, (_, i) => i))
    const b = new Set(Array.from({ length: 400 }, (_, i) => i + 100)) // 300 shared of 500: 0.6
    expect(Math.abs(estimateJaccard(hasher.signature(a), hasher.signature(b)) - 0.6)).toBeLessThan(0.1)
  })

  it("refuses signatures that cannot be compared", () => {
    expect(() => estimateJaccard(new Uint32Array(4), new Uint32Array(8))).toThrow(RangeError)
  })
})

describe("lshParameters", () => {
  it("matches datasketch's _optimal_param with its 0.5/0.5 weights", () => {
    const half = { falsePositive: 0.5, falseNegative: 0.5 }
    // Values from datasketch's own formula (scipy.integrate.quad).
    expect(lshParameters(0.8, 128, half)).toEqual({ bands: 9, rows: 13 })
    expect(lshParameters(0.5, 128, half)).toEqual({ bands: 25, rows: 5 })
    expect(lshParameters(0.9, 128, half)).toEqual({ bands: 5, rows: 25 })
    expect(lshParameters(0.7, 256, half)).toEqual({ bands: 25, rows: 10 })
  })

  it("by default favours recall: 0.8 over 128 permutations finds most pairs at the threshold", () => {
    const { bands, rows } = lshParameters(0.8, 128)
    expect({ bands, rows }).toEqual({ bands: 14, rows: 9 })
    expect(1 - (1 - 0.8 ** rows) ** bands).toBeGreaterThan(0.85)
    expect(1 - (1 - 0.5 ** rows) ** bands).toBeLessThan(0.05)
  })

  it("never uses more rows than the signature has, and moves with the threshold", () => {
    for (const permutations of [16, 64, 128, 200]) {
      for (const threshold of [0.3, 0.5, 0.7, 0.9]) {
        const { bands, rows } = lshParameters(threshold, permutations)
        expect(bands * rows).toBeLessThanOrEqual(permutations)
      }
    }
    expect(lshParameters(0.9, 128).rows).toBeGreaterThan(lshParameters(0.5, 128).rows)
  })
})

describe("MinHashLsh", () => {
  it("finds near-duplicates: recall >= 0.9 against an exact scan, precision 1 after verification", () => {
    const texts = nearDuplicateCorpus(2024, 2_000, 400)
    const sets = texts.map((text) => shingles(text))
    const sorted = sets.map((set) => Uint32Array.from(set).sort())
    const hasher = new MinHasher({ permutations: 128, seed: 11 })
    const lsh = new MinHashLsh<number>({ threshold: 0.8, permutations: 128 })
    sets.forEach((set, id) => lsh.insert(id, hasher.signature(set)))
    expect(lsh.size).toBe(texts.length)

    const queries = [...Array.from({ length: 400 }, (_, i) => 2_000 + i), ...Array.from({ length: 100 }, (_, i) => i * 20)]
    let truePairs = 0
    let nearThreshold = 0
    let found = 0
    let wrong = 0
    for (const query of queries) {
      const set = sets[query]!
      const truth = new Set<number>()
      sorted.forEach((other, id) => {
        if (id === query) return
        const similarity = jaccardAtLeast(sorted[query]!, other, 0.8)
        if (similarity >= 0.8) {
          truth.add(id)
          if (similarity < 0.9) nearThreshold++
        }
      })
      const verified = [...lsh.candidates(hasher.signature(set))].filter((id) => id !== query && jaccard(set, sets[id]!) >= 0.8)
      truePairs += truth.size
      for (const id of verified) {
        if (truth.has(id)) found++
        else wrong++
      }
    }
    expect(truePairs).toBeGreaterThan(300)
    expect(nearThreshold / truePairs).toBeGreaterThan(0.2) // not only easy pairs
    expect(wrong).toBe(0)
    expect(found / truePairs).toBeGreaterThanOrEqual(0.9)
  })

  it("forgets removed ids, and re-inserting an id replaces its signature", () => {
    const hasher = new MinHasher({ permutations: 64, seed: 2 })
    const lsh = new MinHashLsh<string>({ threshold: 0.7, permutations: 64 })
    const signature = (text: string) => hasher.signature(shingles(text))
    lsh.insert("a", signature("pool tank scrub finished without errors on all disks"))
    lsh.insert("b", signature("pool tank scrub finished without errors on all disks!"))
    expect(lsh.candidates(signature("pool tank scrub finished without errors on all disks"))).toEqual(new Set(["a", "b"]))
    lsh.remove("a")
    lsh.remove("unknown")
    expect(lsh.size).toBe(1)
    expect(lsh.candidates(signature("pool tank scrub finished without errors on all disks"))).toEqual(new Set(["b"]))
    lsh.insert("b", signature("backup of /home to the offsite target completed"))
    expect(lsh.size).toBe(1)
    expect(lsh.candidates(signature("pool tank scrub finished without errors on all disks")).size).toBe(0)
    expect(lsh.candidates(signature("backup of /home to the offsite target completed"))).toEqual(new Set(["b"]))
  })

  it("refuses a signature of the wrong length", () => {
    const lsh = new MinHashLsh<number>({ threshold: 0.8, permutations: 128 })
    expect(() => lsh.insert(1, new Uint32Array(64))).toThrow(/64 slots, the index expects 128/)
  })
})
