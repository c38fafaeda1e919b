/**
 * Near-duplicate vectors: random-hyperplane LSH (Charikar, 2002) for cosine
 * similarity. A random hyperplane through the origin separates two vectors
 * at angle θ with probability θ/π, so the sign bits of a vector against
 * `bits` hyperplanes form a bucket code that two vectors share with
 * probability (1 - θ/π)^bits. `tables` independent codes, unioned, trade
 * recall against candidates. Candidates are a guess: callers verify each with
 * the exact {@link cosine}.
 */
import { Buckets } from "./internal/Buckets.ts"
import * as Random from "./internal/Random.ts"

/** The exact cosine similarity; 0 when either vector is all zeros (it has no direction). */
export const cosine = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  if (a.length !== b.length) throw new RangeError(`cosine: vectors of lengths ${a.length} and ${b.length}`)
  let dot = 0
  let normA = 0
  let normB = 0
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!
    const y = b[i]!
    dot += x * y
    normA += x * x
    normB += y * y
  }
  if (normA === 0 || normB === 0) return 0
  return Math.max(-1, Math.min(1, dot / Math.sqrt(normA * normB)))
}

export interface HyperplaneOptions {
  readonly dimension: number
  /** Independent hash tables; a vector is a candidate when it shares a bucket in any of them. */
  readonly tables: number
  /** Sign bits per table, 1 to 32; more bits make each bucket more selective. */
  readonly bits: number
  readonly seed: number
}

export interface HyperplaneParameters {
  readonly tables: number
  readonly bits: number
  /** The probability that a pair exactly at the threshold becomes a candidate. */
  readonly recallAtThreshold: number
}

/** The probability that one hyperplane leaves two vectors of cosine `c` on the same side. */
const sameSide = (c: number) => 1 - Math.acos(Math.max(-1, Math.min(1, c))) / Math.PI

/**
 * Tables and bits for a cosine threshold: the fewest bits such that the
 * tables needed for `recall` at the threshold make an unrelated vector
 * (cosine 0) a candidate with probability at most `noise` — so candidates stay
 * a small fraction of the index. 0.95 gives 12 tables of 14 bits. When no
 * setting fits in `maxTables`, it keeps `maxTables` tables and the bits that
 * meet `noise`, and `recallAtThreshold` says what recall is left.
 */
export const hyperplaneParameters = (
  threshold: number,
  options: { readonly recall?: number; readonly noise?: number; readonly maxTables?: number } = {}
): HyperplaneParameters => {
  const { recall = 0.95, noise = 1e-3, maxTables = 64 } = options
  if (!(threshold > -1 && threshold < 1)) throw new RangeError(`cosine threshold must be in (-1, 1), got ${threshold}`)
  if (!(recall > 0 && recall < 1)) throw new RangeError(`recall must be in (0, 1), got ${recall}`)
  if (!(noise > 0 && noise < 1)) throw new RangeError(`noise must be in (0, 1), got ${noise}`)
  if (!Number.isInteger(maxTables) || maxTables < 1) throw new RangeError(`maxTables must be an integer >= 1, got ${maxTables}`)
  const p = sameSide(threshold)
  const recallOf = (tables: number, bits: number) => 1 - Math.pow(1 - Math.pow(p, bits), tables)
  const noiseOf = (tables: number, bits: number) => 1 - Math.pow(1 - Math.pow(0.5, bits), tables)
  for (let bits = 1; bits <= 32; bits++) {
    const tables = Math.max(1, Math.ceil(Math.log(1 - recall) / Math.log(1 - Math.pow(p, bits))))
    if (tables <= maxTables && noiseOf(tables, bits) <= noise) {
      return { tables, bits, recallAtThreshold: recallOf(tables, bits) }
    }
  }
  let bits = 1
  while (bits < 32 && noiseOf(maxTables, bits) > noise) bits++
  return { tables: maxTables, bits, recallAtThreshold: recallOf(maxTables, bits) }
}

export class HyperplaneLsh<Id> {
  readonly dimension: number
  readonly tables: number
  readonly bits: number
  readonly seed: number
  /** tables * bits hyperplanes, each `dimension` standard normal coordinates, one after another. */
  private readonly planes: Float64Array
  private readonly buckets: Buckets<Id>

  constructor(options: HyperplaneOptions) {
    const { dimension, tables, bits, seed } = options
    if (!Number.isInteger(dimension) || dimension < 1) throw new RangeError(`HyperplaneLsh: dimension must be an integer >= 1, got ${dimension}`)
    if (!Number.isInteger(tables) || tables < 1) throw new RangeError(`HyperplaneLsh: tables must be an integer >= 1, got ${tables}`)
    if (!Number.isInteger(bits) || bits < 1 || bits > 32) throw new RangeError(`HyperplaneLsh: bits must be an integer in 1..32, got ${bits}`)
    this.dimension = dimension
    this.tables = tables
    this.bits = bits
    this.seed = seed
    const random = Random.make(seed)
    this.planes = new Float64Array(tables * bits * dimension)
    for (let i = 0; i < this.planes.length; i++) this.planes[i] = random.nextGaussian()
    this.buckets = new Buckets<Id>(tables)
  }

  get size(): number {
    return this.buckets.size
  }

  /** Indexes `id` under `vector`; inserting an id again replaces its vector. */
  insert(id: Id, vector: ArrayLike<number>): void {
    this.buckets.insert(id, this.codes(vector))
  }

  /** Forgets `id`; an unknown id is ignored. */
  remove(id: Id): void {
    this.buckets.remove(id)
  }

  /** Ids sharing a bucket with `vector` in at least one table. */
  candidates(vector: ArrayLike<number>): Set<Id> {
    return this.buckets.candidates(this.codes(vector))
  }

  /** cos(π h / B) for the Hamming distance h between the two vectors' codes over all B = tables * bits bits. */
  estimatedCosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
    const codesA = this.codes(a)
    const codesB = this.codes(b)
    let differing = 0
    for (let table = 0; table < this.tables; table++) differing += popcount(codesA[table]! ^ codesB[table]!)
    return Math.cos(Math.PI * differing / (this.tables * this.bits))
  }

  /** One code per table: bit i is set when the vector lies on the positive side of (or on) hyperplane i. */
  private codes(vector: ArrayLike<number>): Uint32Array {
    const dimension = this.dimension
    if (vector.length !== dimension) {
      throw new RangeError(`HyperplaneLsh: vector has ${vector.length} dimensions, the index has ${dimension}`)
    }
    const planes = this.planes
    const codes = new Uint32Array(this.tables)
    let offset = 0
    for (let table = 0; table < this.tables; table++) {
      let code = 0
      for (let bit = 0; bit < this.bits; bit++) {
        let dot = 0
        for (let j = 0; j < dimension; j++) dot += planes[offset + j]! * vector[j]!
        offset += dimension
        if (dot >= 0) code |= 1 << bit
      }
      codes[table] = code >>> 0
    }
    return codes
  }
}

const popcount = (value: number): number => {
  let v = value - ((value >>> 1) & 0x55555555)
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333)
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24)
}
