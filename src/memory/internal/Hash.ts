/**
 * Non-cryptographic hashing for MNEMONIC's filters and sketches: MurmurHash3
 * (x86, 32-bit) built from `Math.imul`, so every engine computes the same bits.
 *
 * Strings are hashed over their UTF-16 code units, two to a 32-bit block,
 * which is exactly MurmurHash3 of the string's UTF-16LE bytes: no TextEncoder
 * on the hot path, and a stable definition to persist. A string and its UTF-8
 * bytes therefore hash differently; callers keep to one representation per key.
 */
import { mix32 } from "./Random.ts"

const C1 = 0xcc9e2d51
const C2 = 0x1b873593
// A second lane with MurmurHash3 x86_128's block constants, so the two hashes
// of a Bloom key differ in their block mixing as well as their seed.
const D1 = 0x239b961b
const D2 = 0xab0e9789

const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r))

const mixBlock = (h: number, block: number): number => {
  let k = Math.imul(block, C1)
  k = Math.imul(rotl(k, 15), C2)
  h ^= k
  return (Math.imul(rotl(h, 13), 5) + 0xe6546b64) | 0
}

const mixTail = (h: number, tail: number): number => h ^ Math.imul(rotl(Math.imul(tail, C1), 15), C2)

/** MurmurHash3_x86_32 of the UTF-16LE bytes of `text.slice(start, end)`, as uint32. */
export const murmurString = (text: string, seed: number, start = 0, end = text.length): number => {
  let h = seed | 0
  let i = start
  const pairsEnd = end - ((end - start) & 1)
  for (; i < pairsEnd; i += 2) h = mixBlock(h, text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16))
  if (i < end) h = mixTail(h, text.charCodeAt(i))
  return mix32(h ^ ((end - start) * 2))
}

/** MurmurHash3_x86_32 of `bytes`, as uint32. */
export const murmurBytes = (bytes: Uint8Array, seed: number): number => {
  let h = seed | 0
  const length = bytes.length
  const blocksEnd = length & ~3
  let i = 0
  for (; i < blocksEnd; i += 4) {
    h = mixBlock(h, bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))
  }
  const rest = length & 3
  if (rest > 0) {
    let tail = 0
    if (rest === 3) tail ^= bytes[i + 2]! << 16
    if (rest >= 2) tail ^= bytes[i + 1]! << 8
    tail ^= bytes[i]!
    h = mixTail(h, tail)
  }
  return mix32(h ^ length)
}

/** MurmurHash3's block mixing over uint32 words `words[start..end)`, as uint32 (for MinHash bands). */
export const murmurWords = (words: Uint32Array, seed: number, start: number, end: number): number => {
  let h = seed | 0
  for (let i = start; i < end; i++) h = mixBlock(h, words[i]!)
  return mix32(h ^ ((end - start) * 4))
}

const mixBlockSecond = (h: number, block: number): number => {
  let k = Math.imul(block, D1)
  k = Math.imul(rotl(k, 16), D2)
  h ^= k
  return (Math.imul(rotl(h, 17), 5) + 0x0bcaa747) | 0
}

const mixTailSecond = (h: number, tail: number): number => h ^ Math.imul(rotl(Math.imul(tail, D1), 16), D2)

const FIRST_SEED = 0x9747b28c
const SECOND_SEED = 0x38b34ae5

/**
 * Two 32-bit hashes of a key in one pass, written to `out[0]` and `out[1]`
 * (an output array, so the Bloom filter's hot path allocates nothing). Part of
 * the Bloom filter's on-disk format: changing it needs a new format version.
 */
export const pairOfString = (text: string, out: Uint32Array): void => {
  let h1 = FIRST_SEED | 0
  let h2 = SECOND_SEED | 0
  const length = text.length
  const pairsEnd = length & ~1
  let i = 0
  for (; i < pairsEnd; i += 2) {
    const block = text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16)
    h1 = mixBlock(h1, block)
    h2 = mixBlockSecond(h2, block)
  }
  if (i < length) {
    const tail = text.charCodeAt(i)
    h1 = mixTail(h1, tail)
    h2 = mixTailSecond(h2, tail)
  }
  out[0] = mix32(h1 ^ (length * 2))
  out[1] = mix32(h2 ^ (length * 2))
}

/** As {@link pairOfString}, over bytes. */
export const pairOfBytes = (bytes: Uint8Array, out: Uint32Array): void => {
  let h1 = FIRST_SEED | 0
  let h2 = SECOND_SEED | 0
  const length = bytes.length
  const blocksEnd = length & ~3
  let i = 0
  for (; i < blocksEnd; i += 4) {
    const block = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)
    h1 = mixBlock(h1, block)
    h2 = mixBlockSecond(h2, block)
  }
  const rest = length & 3
  if (rest > 0) {
    let tail = 0
    if (rest === 3) tail ^= bytes[i + 2]! << 16
    if (rest >= 2) tail ^= bytes[i + 1]! << 8
    tail ^= bytes[i]!
    h1 = mixTail(h1, tail)
    h2 = mixTailSecond(h2, tail)
  }
  out[0] = mix32(h1 ^ length)
  out[1] = mix32(h2 ^ length)
}
