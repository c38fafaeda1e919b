/**
 * A Bloom filter: "have I seen this key?" answered in constant time and about
 * 10 bits per key at 1% false positives. "No" is certain; "yes" is wrong with
 * the designed probability once the filter holds its expected number of keys,
 * and more often past it (see {@link BloomFilter.estimatedFalsePositiveRate}).
 *
 * The bits live in one Uint8Array. Each key is hashed once into two 32-bit
 * values h1, h2 (MurmurHash3 in two lanes), and its k bit positions are
 * h1 + i*h2 mod m (Kirsch and Mitzenmacher, "Less hashing, same performance",
 * 2006), which keeps the false-positive rate of k independent hashes.
 *
 * A string key is hashed over its UTF-16 code units, a Uint8Array over its
 * bytes: the string "a" and the bytes of "a" are different keys.
 *
 * The byte format (all numbers little-endian), version 1:
 *
 * | offset | size | field |
 * | ------ | ---- | ----- |
 * | 0 | 4 | magic "SVBF" |
 * | 4 | 2 | format version (1) |
 * | 6 | 2 | header size in bytes (40) |
 * | 8 | 4 | bit count m |
 * | 12 | 2 | hash count k |
 * | 14 | 2 | flags (0) |
 * | 16 | 8 | items added, float64 |
 * | 24 | 8 | expected items, float64 |
 * | 32 | 8 | false-positive target, float64 |
 * | 40 | ceil(m/8) | bits, bit i at byte i >> 3, mask 1 << (i & 7) |
 *
 * The version also fixes the hash function: a new hash needs a new version.
 */
import { Result, Schema } from "effect"
import * as Hash from "./internal/Hash.ts"

/** Bytes that are not a Bloom filter this release can read; the reason says what is wrong. */
export class BloomFormatError extends Schema.TaggedError<BloomFormatError>()("BloomFormatError", {
  reason: Schema.String
}) {
  override get message() {
    return `cannot read Bloom filter bytes: ${this.reason}`
  }
}

export interface BloomOptions {
  /** How many keys the filter is sized for (at least 1). */
  readonly expectedItems: number
  /** The false-positive probability wanted once it holds them, in (0, 1). */
  readonly falsePositiveRate: number
}

/** The byte format this release writes and the newest it reads. */
export const FORMAT_VERSION = 1
const MAGIC = [0x53, 0x56, 0x42, 0x46] as const // "SVBF"
const HEADER_BYTES = 40
const MAX_BITS = 0xffffffff
const MAX_HASHES = 0xffff
const LN2 = Math.LN2

/** The optimal bit and hash counts for n keys at false-positive rate p. */
const optimalShape = (n: number, p: number) => {
  const bitCount = Math.max(1, Math.ceil(-n * Math.log(p) / (LN2 * LN2)))
  const hashCount = Math.max(1, Math.round(bitCount / n * LN2))
  return { bitCount, hashCount }
}

const describeOptions = (options: BloomOptions): string | undefined => {
  const { expectedItems, falsePositiveRate } = options
  if (!Number.isFinite(expectedItems) || expectedItems < 1) {
    return `expectedItems must be a finite number >= 1, got ${expectedItems}`
  }
  if (!(falsePositiveRate > 0 && falsePositiveRate < 1)) {
    return `falsePositiveRate must be in (0, 1), got ${falsePositiveRate}`
  }
  return undefined
}

// One scratch pair for all filters: JavaScript runs one call at a time, and it keeps add/has allocation-free.
const scratch = new Uint32Array(2)
const TWO_POW_MINUS_32 = 1 / 4294967296

export class BloomFilter {
  /** m: the number of bits. */
  readonly bitCount: number
  /** k: the bit positions each key sets. */
  readonly hashCount: number
  /** What the filter was sized for. */
  readonly options: BloomOptions
  private readonly bits: Uint8Array
  private added: number

  private constructor(options: BloomOptions, bitCount: number, hashCount: number, bits: Uint8Array, added: number) {
    this.options = options
    this.bitCount = bitCount
    this.hashCount = hashCount
    this.bits = bits
    this.added = added
  }

  /**
   * A filter sized for `expectedItems` keys at `falsePositiveRate`:
   * m = ceil(-n ln p / ln²2) bits and k = round(m/n ln 2) hashes.
   * Options outside their ranges, or a filter beyond 2^32 - 1 bits, are a
   * programming error and throw a RangeError.
   */
  static create(options: BloomOptions): BloomFilter {
    const problem = describeOptions(options)
    if (problem !== undefined) throw new RangeError(`BloomFilter.create: ${problem}`)
    const { bitCount, hashCount } = optimalShape(options.expectedItems, options.falsePositiveRate)
    if (bitCount > MAX_BITS) {
      throw new RangeError(`BloomFilter.create: ${bitCount} bits needed, more than the ${MAX_BITS} a filter can hold`)
    }
    const copy = { expectedItems: options.expectedItems, falsePositiveRate: options.falsePositiveRate }
    return new BloomFilter(copy, bitCount, Math.min(hashCount, MAX_HASHES), new Uint8Array(Math.ceil(bitCount / 8)), 0)
  }

  /** Reads bytes written by {@link toBytes}; the filter owns a copy of them. */
  static fromBytes(bytes: Uint8Array): Result.Result<BloomFilter, BloomFormatError> {
    const invalid = (reason: string) => Result.fail(new BloomFormatError({ reason }))
    if (bytes.length < 8) return invalid(`truncated: ${bytes.length} bytes, shorter than the ${HEADER_BYTES}-byte header`)
    if (MAGIC.some((byte, i) => bytes[i] !== byte)) {
      return invalid("bad magic (expected \"SVBF\"): these bytes are not a SigmaVault Bloom filter")
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const version = view.getUint16(4, true)
    if (version > FORMAT_VERSION) {
      return invalid(`format version ${version} is newer than this release reads (${FORMAT_VERSION}); it was written by a newer SigmaVault`)
    }
    if (version < 1) return invalid(`format version ${version} does not exist`)
    if (bytes.length < HEADER_BYTES) {
      return invalid(`truncated: ${bytes.length} bytes, shorter than the ${HEADER_BYTES}-byte header`)
    }
    const headerBytes = view.getUint16(6, true)
    if (headerBytes !== HEADER_BYTES) return invalid(`header size ${headerBytes}, expected ${HEADER_BYTES} for version 1`)
    const bitCount = view.getUint32(8, true)
    const hashCount = view.getUint16(12, true)
    const flags = view.getUint16(14, true)
    const added = view.getFloat64(16, true)
    const options = { expectedItems: view.getFloat64(24, true), falsePositiveRate: view.getFloat64(32, true) }
    if (bitCount < 1) return invalid("bit count is 0")
    if (hashCount < 1) return invalid("hash count is 0")
    if (flags !== 0) return invalid(`unknown flags 0x${flags.toString(16)}`)
    if (!Number.isSafeInteger(added) || added < 0) return invalid(`item count ${added} is not a non-negative integer`)
    const problem = describeOptions(options)
    if (problem !== undefined) return invalid(`stored options are invalid: ${problem}`)
    const expected = HEADER_BYTES + Math.ceil(bitCount / 8)
    if (bytes.length < expected) {
      return invalid(`truncated: ${bytes.length} bytes, ${bitCount} bits need ${expected} (header ${HEADER_BYTES} + bits ${expected - HEADER_BYTES})`)
    }
    if (bytes.length > expected) return invalid(`${bytes.length - expected} unexpected bytes after the ${bitCount} bits`)
    return Result.succeed(new BloomFilter(options, bitCount, hashCount, bytes.slice(HEADER_BYTES), added))
  }

  /** Keys added so far; adding the same key twice counts twice (the filter cannot tell). */
  get count(): number {
    return this.added
  }

  // Positions come from h * m / 2^32 (Lemire's range reduction) rather than h % m: one multiply instead of
  // a division, and IEEE multiplication gives the same answer in every engine. h * m < m * 2^32 never
  // rounds up to m * 2^32, so the position stays below m.
  add(key: string | Uint8Array): void {
    this.hashKey(key)
    const m = this.bitCount
    const bits = this.bits
    let position = Math.floor(scratch[0]! * m * TWO_POW_MINUS_32)
    const step = m > 1 ? Math.floor(scratch[1]! * (m - 1) * TWO_POW_MINUS_32) + 1 : 0
    for (let i = this.hashCount; i > 0; i--) {
      bits[position >>> 3]! |= 1 << (position & 7)
      position += step
      if (position >= m) position -= m
    }
    this.added++
  }

  has(key: string | Uint8Array): boolean {
    this.hashKey(key)
    const m = this.bitCount
    const bits = this.bits
    let position = Math.floor(scratch[0]! * m * TWO_POW_MINUS_32)
    const step = m > 1 ? Math.floor(scratch[1]! * (m - 1) * TWO_POW_MINUS_32) + 1 : 0
    for (let i = this.hashCount; i > 0; i--) {
      if ((bits[position >>> 3]! & (1 << (position & 7))) === 0) return false
      position += step
      if (position >= m) position -= m
    }
    return true
  }

  /**
   * The false-positive probability now, (1 - e^(-k n / m))^k with n = count:
   * the designed rate at n = expectedItems, higher past it. Duplicated adds
   * make it an overestimate.
   */
  estimatedFalsePositiveRate(): number {
    return Math.pow(1 - Math.exp(-this.hashCount * this.added / this.bitCount), this.hashCount)
  }

  toBytes(): Uint8Array {
    const bytes = new Uint8Array(HEADER_BYTES + this.bits.length)
    const view = new DataView(bytes.buffer)
    bytes.set(MAGIC, 0)
    view.setUint16(4, FORMAT_VERSION, true)
    view.setUint16(6, HEADER_BYTES, true)
    view.setUint32(8, this.bitCount, true)
    view.setUint16(12, this.hashCount, true)
    view.setUint16(14, 0, true)
    view.setFloat64(16, this.added, true)
    view.setFloat64(24, this.options.expectedItems, true)
    view.setFloat64(32, this.options.falsePositiveRate, true)
    bytes.set(this.bits, HEADER_BYTES)
    return bytes
  }

  private hashKey(key: string | Uint8Array): void {
    if (typeof key === "string") Hash.pairOfString(key, scratch)
    else Hash.pairOfBytes(key, scratch)
  }
}
