import * as fc from "fast-check"
import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { BloomFilter, BloomFormatError, FORMAT_VERSION } from "../../src/memory/Bloom.ts"
import * as Hash from "../../src/memory/internal/Hash.ts"

const filled = (n: number, p: number) => {
  const filter = BloomFilter.create({ expectedItems: n, falsePositiveRate: p })
  for (let i = 0; i < n; i++) filter.add(`present:${i}`)
  return filter
}

const failureOf = (bytes: Uint8Array): BloomFormatError => {
  const result = BloomFilter.fromBytes(bytes)
  if (Result.isSuccess(result)) throw new Error("expected fromBytes to fail")
  return result.failure
}

const utf16le = (text: string) => {
  const bytes = new Uint8Array(text.length * 2)
  for (let i = 0; i < text.length; i++) {
    bytes[2 * i] = text.charCodeAt(i) & 0xff
    bytes[2 * i + 1] = text.charCodeAt(i) >>> 8
  }
  return bytes
}

describe("BloomFilter", () => {
  it("sizes itself from the false-positive target: m = ceil(-n ln p / ln²2), k = round(m/n ln 2)", () => {
    const filter = BloomFilter.create({ expectedItems: 100_000, falsePositiveRate: 0.01 })
    expect(filter.bitCount).toBe(958_506)
    expect(filter.hashCount).toBe(7)
    expect(BloomFilter.create({ expectedItems: 1, falsePositiveRate: 0.9 }).hashCount).toBe(1)
  })

  it("refuses options outside their ranges", () => {
    expect(() => BloomFilter.create({ expectedItems: 0, falsePositiveRate: 0.01 })).toThrow(/expectedItems/)
    expect(() => BloomFilter.create({ expectedItems: 10, falsePositiveRate: 1 })).toThrow(/falsePositiveRate/)
    expect(() => BloomFilter.create({ expectedItems: 10, falsePositiveRate: Number.NaN })).toThrow(/falsePositiveRate/)
  })

  it("keeps close to its false-positive target at its design size (100k keys at 1%)", () => {
    const filter = filled(100_000, 0.01)
    let falsePositives = 0
    const probes = 100_000
    for (let i = 0; i < probes; i++) if (filter.has(`absent:${i}`)) falsePositives++
    const observed = falsePositives / probes
    expect(observed).toBeLessThanOrEqual(0.012)
    expect(observed).toBeGreaterThan(0.006)
    expect(filter.count).toBe(100_000)
    expect(filter.estimatedFalsePositiveRate()).toBeCloseTo(0.01, 3)
  })

  it("reports a rising false-positive estimate past its design size", () => {
    const filter = filled(1_000, 0.01)
    const atDesign = filter.estimatedFalsePositiveRate()
    for (let i = 0; i < 1_000; i++) filter.add(`more:${i}`)
    expect(filter.estimatedFalsePositiveRate()).toBeGreaterThan(5 * atDesign)
  })

  it("never forgets a key it was given (no false negatives)", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ unit: "binary" }), fc.uint8Array()), { maxLength: 200 }), fc.double({ min: 0.001, max: 0.5, noNaN: true }), (keys, rate) => {
        const filter = BloomFilter.create({ expectedItems: Math.max(1, keys.length), falsePositiveRate: rate })
        for (const key of keys) filter.add(key)
        return keys.every((key) => filter.has(key))
      }),
      { seed: 20_240_601, numRuns: 200 }
    )
  })

  it("counts every add, repeated keys included", () => {
    const filter = BloomFilter.create({ expectedItems: 10, falsePositiveRate: 0.01 })
    filter.add("same")
    filter.add("same")
    expect(filter.count).toBe(2)
  })

  it("treats a string and bytes as different keys, and an empty key as a key", () => {
    const filter = BloomFilter.create({ expectedItems: 100, falsePositiveRate: 0.001 })
    filter.add("")
    filter.add(new Uint8Array([1, 2, 3]))
    expect(filter.has("")).toBe(true)
    expect(filter.has(new Uint8Array([1, 2, 3]))).toBe(true)
    expect(filter.has(new Uint8Array([1, 2, 4]))).toBe(false)
  })

  it("round-trips through bytes with the same answers, count and options", () => {
    const filter = filled(5_000, 0.02)
    const restored = Result.getOrThrow(BloomFilter.fromBytes(filter.toBytes()))
    expect(restored.bitCount).toBe(filter.bitCount)
    expect(restored.hashCount).toBe(filter.hashCount)
    expect(restored.count).toBe(5_000)
    expect(restored.options).toEqual({ expectedItems: 5_000, falsePositiveRate: 0.02 })
    for (let i = 0; i < 5_000; i++) expect(restored.has(`present:${i}`)).toBe(true)
    let agree = 0
    for (let i = 0; i < 5_000; i++) if (restored.has(`absent:${i}`) === filter.has(`absent:${i}`)) agree++
    expect(agree).toBe(5_000)
    expect(restored.toBytes()).toEqual(filter.toBytes())
  })

  it("reads bytes inside a larger buffer and does not share them", () => {
    const bytes = filled(100, 0.01).toBytes()
    const padded = new Uint8Array(bytes.length + 16)
    padded.set(bytes, 8)
    const restored = Result.getOrThrow(BloomFilter.fromBytes(padded.subarray(8, 8 + bytes.length)))
    padded.fill(0)
    expect(restored.has("present:7")).toBe(true)
  })

  it("still reads a filter written by format version 1 (the hash function is part of the format)", () => {
    const filter = BloomFilter.create({ expectedItems: 10, falsePositiveRate: 0.01 })
    for (const key of ["orbit", "sentinel", "disk:sda", "pool:tank"]) filter.add(key)
    const fixture = "U1ZCRgEAKABgAAAABwAAAAAAAAAAABBAAAAAAAAAJEB7FK5H4XqEP0QIgAQIkhFIJSKBcA=="
    expect(Buffer.from(filter.toBytes()).toString("base64")).toBe(fixture)
    const restored = Result.getOrThrow(BloomFilter.fromBytes(new Uint8Array(Buffer.from(fixture, "base64"))))
    expect(["orbit", "sentinel", "disk:sda", "pool:tank"].every((key) => restored.has(key))).toBe(true)
  })

  describe("fromBytes refuses what it cannot read, saying why", () => {
    const good = filled(100, 0.01).toBytes()

    it("truncated bytes", () => {
      expect(failureOf(good.slice(0, 5)).message).toMatch(/truncated: 5 bytes/)
      expect(failureOf(good.slice(0, 20)).message).toMatch(/truncated: 20 bytes, shorter than the 40-byte header/)
      expect(failureOf(good.slice(0, good.length - 1)).message).toMatch(/truncated: .* bits need/)
    })

    it("garbage", () => {
      const garbage = new Uint8Array(200).map((_, i) => (i * 37 + 11) & 0xff)
      const error = failureOf(garbage)
      expect(error._tag).toBe("BloomFormatError")
      expect(error.message).toMatch(/bad magic/)
    })

    it("a newer format version", () => {
      const newer = good.slice()
      new DataView(newer.buffer).setUint16(4, FORMAT_VERSION + 1, true)
      expect(failureOf(newer).message).toMatch(/format version 2 is newer than this release reads \(1\)/)
    })

    it("inconsistent header fields and trailing bytes", () => {
      const corrupt = (write: (view: DataView) => void) => {
        const bytes = good.slice()
        write(new DataView(bytes.buffer))
        return failureOf(bytes).message
      }
      expect(corrupt((view) => view.setUint16(12, 0, true))).toMatch(/hash count is 0/)
      expect(corrupt((view) => view.setUint32(8, 0, true))).toMatch(/bit count is 0/)
      expect(corrupt((view) => view.setFloat64(16, 1.5, true))).toMatch(/item count 1.5/)
      expect(corrupt((view) => view.setFloat64(32, 2, true))).toMatch(/falsePositiveRate/)
      expect(corrupt((view) => view.setUint16(14, 1, true))).toMatch(/unknown flags/)
      const longer = new Uint8Array(good.length + 3)
      longer.set(good)
      expect(failureOf(longer).message).toMatch(/3 unexpected bytes/)
    })
  })
})

describe("MurmurHash3 (the filter's hash, part of its format)", () => {
  it("matches the reference test vectors", () => {
    const ascii = (text: string) => new Uint8Array([...text].map((c) => c.charCodeAt(0)))
    expect(Hash.murmurBytes(new Uint8Array(0), 0)).toBe(0)
    expect(Hash.murmurBytes(new Uint8Array(0), 1)).toBe(0x514e28b7)
    expect(Hash.murmurBytes(new Uint8Array(0), 0xffffffff)).toBe(0x81f16f39)
    expect(Hash.murmurBytes(new Uint8Array(4), 0)).toBe(0x2362f9de)
    expect(Hash.murmurBytes(ascii("aaaa"), 0x9747b28c)).toBe(0x5a97808a)
    expect(Hash.murmurBytes(ascii("Hello, world!"), 0x9747b28c)).toBe(0x24884cba)
    expect(Hash.murmurBytes(ascii("The quick brown fox jumps over the lazy dog"), 0x9747b28c)).toBe(0x2fa826cd)
  })

  it("hashes a string as its UTF-16LE bytes, also for a slice", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.nat(), (text, seed) => {
        const whole = Hash.murmurString(text, seed) === Hash.murmurBytes(utf16le(text), seed)
        const start = Math.floor(text.length / 3)
        const slice = Hash.murmurString(text, seed, start, text.length) === Hash.murmurBytes(utf16le(text.slice(start)), seed)
        const pair = new Uint32Array(2)
        const bytePair = new Uint32Array(2)
        Hash.pairOfString(text, pair)
        Hash.pairOfBytes(utf16le(text), bytePair)
        return whole && slice && pair[0] === bytePair[0] && pair[1] === bytePair[1]
      }),
      { seed: 7, numRuns: 300 }
    )
  })
})
