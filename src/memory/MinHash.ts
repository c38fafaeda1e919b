/**
 * Near-duplicate text: MinHash signatures (Broder, 1997) estimate the Jaccard
 * similarity of two shingle sets, and banded locality-sensitive hashing turns
 * "which stored sets are at least this similar?" into a few hash-table
 * lookups. Candidates are a superset guess: callers verify each with the
 * exact {@link jaccard}.
 *
 * A text becomes a set of character shingles: overlapping substrings of k
 * characters (UTF-16 code units) of its normalised form, each hashed to a
 * uint32. Everything is deterministic: the same text and seed give the same
 * set and signature on every run and runtime.
 */
import { Buckets } from "./internal/Buckets.ts"
import * as Hash from "./internal/Hash.ts"
import * as Random from "./internal/Random.ts"

/** Lower case, runs of whitespace collapsed to one space, trimmed. */
export const normalizeText = (text: string): string => text.toLowerCase().replace(/\s+/g, " ").trim()

const SHINGLE_SEED = 0x5f3759df
export const DEFAULT_SHINGLE_SIZE = 5

/**
 * The hashed character `size`-shingles of `normalizeText(text)`. A text
 * shorter than `size` yields one shingle, of the whole text, so short texts
 * still compare; an empty (or all-whitespace) text yields the empty set.
 */
export const shingles = (text: string, size: number = DEFAULT_SHINGLE_SIZE): Set<number> => {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`shingle size must be an integer >= 1, got ${size}`)
  const normalized = normalizeText(text)
  const set = new Set<number>()
  if (normalized.length === 0) return set
  if (normalized.length <= size) {
    set.add(Hash.murmurString(normalized, SHINGLE_SEED))
    return set
  }
  for (let start = 0; start + size <= normalized.length; start++) {
    set.add(Hash.murmurString(normalized, SHINGLE_SEED, start, start + size))
  }
  return set
}

/** The exact Jaccard similarity |A ∩ B| / |A ∪ B|; two empty sets are identical (1). */
export const jaccard = (a: ReadonlySet<number>, b: ReadonlySet<number>): number => {
  if (a.size === 0 && b.size === 0) return 1
  // Probe the larger set with the smaller one's elements; no allocation, as scans call this per document.
  let shared = 0
  if (a.size <= b.size) {
    for (const value of a) if (b.has(value)) shared++
  } else {
    for (const value of b) if (a.has(value)) shared++
  }
  return shared / (a.size + b.size - shared)
}

/** The Mersenne prime 2^31 - 1: reduction modulo it needs only shifts and masks. */
const PRIME = 0x7fffffff
/** The signature value of an empty set: above every hash value (they are < 2^31 - 1). */
export const EMPTY_SLOT = 0xffffffff
const TWO_POW_MINUS_31 = 1 / 2147483648

export interface MinHasherOptions {
  /** Signature length; more permutations estimate Jaccard more precisely (error about 1/sqrt(n)). */
  readonly permutations: number
  readonly seed: number
}

// A set's elements, folded into [0, p), as int32 (for Math.imul) and as double (for the exact-enough
// product); grown on demand and shared, since JavaScript runs one signature at a time.
let elementsInt = new Int32Array(256)
let elementsDouble = new Float64Array(256)

/**
 * Computes MinHash signatures: for each of n permutations h(x) = (a x + b) mod
 * (2^31 - 1), with a and b drawn from the seed, the minimum of h over the set.
 * Two hashers compare only when built with the same permutations and seed.
 */
export class MinHasher {
  readonly permutations: number
  readonly seed: number
  private readonly multipliers: Int32Array
  private readonly multipliersDouble: Float64Array
  private readonly offsets: Int32Array

  constructor(options: MinHasherOptions) {
    const { permutations, seed } = options
    if (!Number.isInteger(permutations) || permutations < 1) {
      throw new RangeError(`MinHasher: permutations must be an integer >= 1, got ${permutations}`)
    }
    this.permutations = permutations
    this.seed = seed
    const random = Random.make(seed)
    this.multipliers = new Int32Array(permutations)
    this.offsets = new Int32Array(permutations)
    for (let i = 0; i < permutations; i++) {
      this.multipliers[i] = 1 + random.nextInt(PRIME - 1)
      this.offsets[i] = random.nextInt(PRIME)
    }
    this.multipliersDouble = Float64Array.from(this.multipliers)
  }

  signature(set: ReadonlySet<number>): Uint32Array {
    const count = set.size
    if (elementsInt.length < count) {
      elementsInt = new Int32Array(count * 2)
      elementsDouble = new Float64Array(count * 2)
    }
    const xsInt = elementsInt
    const xsDouble = elementsDouble
    let j = 0
    for (const element of set) {
      // x mod (2^31 - 1) for a uint32 x: its low 31 bits plus its top bit, at most once more than p.
      const word = element >>> 0
      let x = (word & PRIME) + (word >>> 31)
      if (x >= PRIME) x -= PRIME
      xsInt[j] = x
      xsDouble[j] = x
      j++
    }
    const signature = new Uint32Array(this.permutations)
    for (let i = 0; i < this.permutations; i++) {
      const a = this.multipliers[i]!
      const aDouble = this.multipliersDouble[i]!
      const b = this.offsets[i]!
      let min = count === 0 ? EMPTY_SLOT : PRIME
      for (let k = 0; k < count; k++) {
        // a x < 2^62 is not exact in a double, so split it at bit 31: Math.imul gives the low bits exactly, and
        // the high part is the rounded product minus them, over 2^31, rounded (the double's error, under 2^10,
        // is far below 2^30). As 2^31 ≡ 1 (mod p), a x ≡ high + low. The reductions are branch-free: the
        // comparisons they would need are coin flips the CPU mispredicts half the time (3x slower).
        const low = Math.imul(a, xsInt[k]!) & PRIME
        const high = ((aDouble * xsDouble[k]! - low) * TWO_POW_MINUS_31 + 0.5) | 0
        let h = low - PRIME + high
        h += (h >> 31) & PRIME
        h = h - PRIME + b
        h += (h >> 31) & PRIME
        if (h < min) min = h
      }
      signature[i] = min
    }
    return signature
  }
}

/** The fraction of signature slots that agree: an unbiased estimate of the sets' Jaccard similarity. */
export const estimateJaccard = (a: Uint32Array, b: Uint32Array): number => {
  if (a.length !== b.length || a.length === 0) {
    throw new RangeError(`signatures of lengths ${a.length} and ${b.length} do not compare (same hasher, non-empty)`)
  }
  let equal = 0
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) equal++
  return equal / a.length
}

export interface LshWeights {
  /** Weight of the false-positive area (pairs below the threshold that become candidates). */
  readonly falsePositive: number
  /** Weight of the false-negative area (pairs at or above the threshold that are missed). */
  readonly falseNegative: number
}

/**
 * A missed near-duplicate is lost for good, while a false candidate costs one
 * exact verification: so misses weigh nine times more. With 0.5/0.5 (the
 * datasketch default) 0.8 over 128 permutations gives 9 bands of 13 rows,
 * which finds only 40% of pairs at exactly 0.8 and 69% at 0.85; 0.1/0.9 gives
 * 14 bands of 9 rows: 87% at 0.8, 97% at 0.85, 13% of pairs at 0.6.
 */
export const DEFAULT_LSH_WEIGHTS: LshWeights = { falsePositive: 0.1, falseNegative: 0.9 }

const INTEGRATION_INTERVALS = 256

/** Composite Simpson's rule; the S-curves integrated here are smooth polynomials. */
const integrate = (f: (s: number) => number, from: number, to: number): number => {
  const h = (to - from) / INTEGRATION_INTERVALS
  let sum = f(from) + f(to)
  for (let i = 1; i < INTEGRATION_INTERVALS; i++) sum += f(from + i * h) * (i % 2 === 1 ? 4 : 2)
  return sum * h / 3
}

const parameterCache = new Map<string, { readonly bands: number; readonly rows: number }>()

/**
 * Bands b and rows r (b r <= permutations) for an LSH index at `threshold`: a
 * pair of Jaccard similarity s becomes a candidate with probability
 * 1 - (1 - s^r)^b. Minimises the weighted false-positive area (that curve over
 * [0, threshold]) plus the false-negative area (its complement over
 * [threshold, 1]), as datasketch's `_optimal_param` does, integrating
 * numerically.
 */
export const lshParameters = (
  threshold: number,
  permutations: number,
  weights: LshWeights = DEFAULT_LSH_WEIGHTS
): { readonly bands: number; readonly rows: number } => {
  if (!(threshold > 0 && threshold < 1)) throw new RangeError(`LSH threshold must be in (0, 1), got ${threshold}`)
  if (!Number.isInteger(permutations) || permutations < 1) {
    throw new RangeError(`permutations must be an integer >= 1, got ${permutations}`)
  }
  const key = `${threshold}/${permutations}/${weights.falsePositive}/${weights.falseNegative}`
  const cached = parameterCache.get(key)
  if (cached !== undefined) return cached
  let best = { bands: 1, rows: permutations }
  let bestError = Infinity
  for (let bands = 1; bands <= permutations; bands++) {
    for (let rows = 1; rows * bands <= permutations; rows++) {
      const candidate = (s: number) => 1 - Math.pow(1 - Math.pow(s, rows), bands)
      const falsePositive = integrate(candidate, 0, threshold)
      const falseNegative = integrate((s) => 1 - candidate(s), threshold, 1)
      const error = weights.falsePositive * falsePositive + weights.falseNegative * falseNegative
      if (error < bestError) {
        bestError = error
        best = { bands, rows }
      }
    }
  }
  parameterCache.set(key, best)
  return best
}

export interface MinHashLshOptions {
  /** The Jaccard similarity the index is tuned to find. */
  readonly threshold: number
  /** The signature length it is given (the MinHasher's permutations). */
  readonly permutations: number
  /** How misses weigh against false candidates when choosing bands and rows; see {@link DEFAULT_LSH_WEIGHTS}. */
  readonly weights?: LshWeights
}

const BAND_SEED = 0x1b873593

/**
 * A banded LSH index over MinHash signatures: each signature is cut into b
 * bands of r rows, and two signatures are candidates when they agree on every
 * row of at least one band. Each band has its own hash table keyed by a 32-bit
 * hash of its rows; a rare key collision only adds a candidate, which
 * verification removes.
 */
export class MinHashLsh<Id> {
  readonly threshold: number
  readonly permutations: number
  readonly bands: number
  readonly rows: number
  private readonly buckets: Buckets<Id>

  constructor(options: MinHashLshOptions) {
    const { bands, rows } = lshParameters(options.threshold, options.permutations, options.weights)
    this.threshold = options.threshold
    this.permutations = options.permutations
    this.bands = bands
    this.rows = rows
    this.buckets = new Buckets<Id>(bands)
  }

  get size(): number {
    return this.buckets.size
  }

  /** Indexes `id` under `signature`; inserting an id again replaces its signature. */
  insert(id: Id, signature: Uint32Array): void {
    this.buckets.insert(id, this.bandKeys(signature))
  }

  /** Forgets `id`; an unknown id is ignored. */
  remove(id: Id): void {
    this.buckets.remove(id)
  }

  /** Ids sharing at least one band with `signature`: likely at or above the threshold, to verify. */
  candidates(signature: Uint32Array): Set<Id> {
    return this.buckets.candidates(this.bandKeys(signature))
  }

  private bandKeys(signature: Uint32Array): Uint32Array {
    if (signature.length !== this.permutations) {
      throw new RangeError(`MinHashLsh: signature has ${signature.length} slots, the index expects ${this.permutations}`)
    }
    const keys = new Uint32Array(this.bands)
    for (let band = 0; band < this.bands; band++) {
      keys[band] = Hash.murmurWords(signature, BAND_SEED, band * this.rows, (band + 1) * this.rows)
    }
    return keys
  }
}
