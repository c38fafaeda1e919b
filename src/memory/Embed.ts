/**
 * Embeddings without a model. An {@link Embedder} turns text into a vector so
 * that similar texts point in similar directions; MNEMONIC ships a feature-
 * hashing one (no weights to download, deterministic, microseconds per text)
 * and a model-backed one can be plugged in behind the same interface.
 *
 * {@link featureVector} is the numeric counterpart for measurements (SMART
 * attributes, pool statistics): one scaled slot per named metric.
 */
import * as Hash from "./internal/Hash.ts"
import { mix32 } from "./internal/Random.ts"

export interface Embedder {
  /** Identifies the vector space: vectors compare only when their embedders' names are equal. */
  readonly name: string
  readonly dimension: number
  embed(text: string): Float32Array
}

export interface FeatureHashingOptions {
  /** Vector length; default 256. */
  readonly dimension?: number
  /** Character (UTF-16 code unit) n-gram sizes taken from each token; default [3, 4]. Empty for words only. */
  readonly ngrams?: ReadonlyArray<number>
  /** Selects the hash functions; a different seed is a different, incomparable space. Default 0. */
  readonly seed?: number
}

/**
 * The norm of a token's n-grams together, next to the word's own 1: a typo
 * still shares most of its n-grams with the word it misspells (0.5 weighed
 * them too lightly for that to show).
 */
const NGRAM_WEIGHT = 1
const TOKEN = /[\p{L}\p{N}]+/gu

/**
 * Signed feature hashing ("the hashing trick", Weinberger et al., 2009) of
 * the lower-cased text's word tokens (runs of letters and digits) with weight
 * 1, and of the character n-grams of each token wrapped in boundary marks
 * (`<disk>` gives `<di`, `dis`, …, `sk>`), each weighted 1/sqrt(count) so a
 * token's n-grams together weigh as much as the word, however long it is:
 * shared word pieces and typos count without long words drowning short ones. Each feature adds ±weight to one slot, the
 * sign from a second hash, so collisions cancel on average instead of piling
 * up. The result is L2-normalised; a text without tokens is the zero vector.
 */
export const featureHashingEmbedder = (options: FeatureHashingOptions = {}): Embedder => {
  const { dimension = 256, ngrams = [3, 4], seed = 0 } = options
  if (!Number.isInteger(dimension) || dimension < 1) throw new RangeError(`embedding dimension must be an integer >= 1, got ${dimension}`)
  if (ngrams.some((n) => !Number.isInteger(n) || n < 1)) throw new RangeError(`n-gram sizes must be integers >= 1, got ${ngrams.join(",")}`)
  if (!Number.isInteger(seed)) throw new RangeError(`embedding seed must be an integer, got ${seed}`)
  const wordSeed = mix32(seed ^ 0x2545f491)
  const ngramSeed = mix32(seed ^ 0x68e31da4)
  const signSalt = mix32(seed ^ 0x1b56c4e9)
  const sizes = [...ngrams]
  const name = `feature-hash-v1/${dimension}/${sizes.length === 0 ? "words" : sizes.join(",")}${seed === 0 ? "" : `/seed-${seed}`}`

  const addFeature = (sums: Float64Array, text: string, featureSeed: number, start: number, end: number, weight: number) => {
    const h = Hash.murmurString(text, featureSeed, start, end)
    sums[h % dimension]! += (mix32(h ^ signSalt) & 1) === 0 ? weight : -weight
  }

  const embed = (text: string): Float32Array => {
    const sums = new Float64Array(dimension)
    for (const [token] of text.toLowerCase().matchAll(TOKEN)) {
      addFeature(sums, token, wordSeed, 0, token.length, 1)
      const marked = `<${token}>`
      let count = 0
      for (const n of sizes) count += Math.max(0, marked.length - n + 1)
      if (count === 0) continue
      const weight = NGRAM_WEIGHT / Math.sqrt(count)
      for (const n of sizes) {
        for (let start = 0; start + n <= marked.length; start++) addFeature(sums, marked, ngramSeed, start, start + n, weight)
      }
    }
    let norm = 0
    for (let i = 0; i < dimension; i++) norm += sums[i]! * sums[i]!
    const vector = new Float32Array(dimension)
    if (norm === 0) return vector
    const scale = 1 / Math.sqrt(norm)
    for (let i = 0; i < dimension; i++) vector[i] = sums[i]! * scale
    return vector
  }

  return { name, dimension, embed }
}

export interface FeatureSpec {
  /** The key in the values record. */
  readonly name: string
  /** "linear" (default) keeps the value; "log1p" uses sign(v) ln(1 + |v|), for counts spanning decades. */
  readonly scale?: "linear" | "log1p"
  /** When given, the value is clamped to [-max, max] and divided by it, so the slot lies in [-1, 1]. */
  readonly max?: number
}

const scaled = (value: number, scale: "linear" | "log1p") =>
  scale === "log1p" ? Math.sign(value) * Math.log1p(Math.abs(value)) : value

/**
 * One slot per spec, in order: the value scaled, then clamped to `max` (in the
 * metric's own units) and divided by its scaled `max`. A missing or non-finite
 * value is 0, "nothing to report" (for error counters, their healthy value).
 *
 * Not normalised, unlike text embeddings: for measurements the magnitude is
 * the signal. A disk with 2 reallocated sectors and one with 2,000 point the
 * same way; only the L2 distance between the raw vectors tells them apart.
 */
export const featureVector = (
  specs: ReadonlyArray<FeatureSpec>,
  values: Readonly<Record<string, number | undefined>>
): Float32Array => {
  const vector = new Float32Array(specs.length)
  specs.forEach((spec, slot) => {
    const scale = spec.scale ?? "linear"
    if (spec.max !== undefined && !(spec.max > 0 && Number.isFinite(spec.max))) {
      throw new RangeError(`feature ${spec.name}: max must be a finite number > 0, got ${spec.max}`)
    }
    const raw = values[spec.name]
    if (raw === undefined || !Number.isFinite(raw)) return
    if (spec.max === undefined) {
      vector[slot] = scaled(raw, scale)
      return
    }
    const clamped = Math.max(-spec.max, Math.min(spec.max, raw))
    vector[slot] = scaled(clamped, scale) / scaled(spec.max, scale)
  })
  return vector
}
