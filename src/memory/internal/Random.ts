/**
 * The seeded pseudo-random source of MNEMONIC's algorithms (MinHash
 * permutations, hyperplanes, test and benchmark corpora). Everything a
 * structure draws comes from an explicit numeric seed, so the same seed gives
 * the same structure on every run, on Node and on Bun.
 *
 * The generator is splitmix32 (a Weyl sequence through MurmurHash3's
 * finaliser): tiny, fast, and made of 32-bit integer operations whose results
 * every engine must agree on. Gaussians use Marsaglia's polar method with a
 * logarithm written here from IEEE basic operations, because `Math.log` is not
 * required to be correctly rounded and V8 and JavaScriptCore may differ in the
 * last bit; hyperplanes drawn by one runtime must equal those drawn by another.
 */

export interface Random {
  /** A uniform integer in [0, 2^32). */
  readonly nextUint32: () => number
  /** A uniform float in [0, 1) with 53 random bits. */
  readonly nextFloat: () => number
  /** A uniform integer in [0, bound), for 1 <= bound <= 2^32. */
  readonly nextInt: (bound: number) => number
  /** A standard normal deviate (mean 0, variance 1). */
  readonly nextGaussian: () => number
}

const GOLDEN_GAMMA = 0x9e3779b9
const TWO_POW_32 = 4294967296
const TWO_POW_MINUS_53 = 1 / 9007199254740992

/** MurmurHash3's 32-bit finaliser: a bijection on uint32 with full avalanche. */
export const mix32 = (value: number): number => {
  let h = value | 0
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/**
 * Folds any finite number into a 32-bit state: the integer part's low and high
 * words both count, so seeds 1 and 2^32 + 1 differ.
 */
const seedState = (seed: number): number => {
  if (!Number.isFinite(seed)) throw new RangeError(`a random seed must be a finite number, got ${seed}`)
  const whole = Math.trunc(seed)
  const low = whole >>> 0
  const high = Math.floor(whole / TWO_POW_32) >>> 0
  return mix32(low ^ mix32(high ^ 0x5bd1e995))
}

export const make = (seed: number): Random => {
  let state = seedState(seed)
  let spareGaussian: number | undefined

  const nextUint32 = (): number => {
    state = (state + GOLDEN_GAMMA) | 0
    return mix32(state)
  }
  const nextFloat = (): number => ((nextUint32() >>> 5) * 67108864 + (nextUint32() >>> 6)) * TWO_POW_MINUS_53
  const nextInt = (bound: number): number => Math.floor(nextFloat() * bound)
  const nextGaussian = (): number => {
    if (spareGaussian !== undefined) {
      const spare = spareGaussian
      spareGaussian = undefined
      return spare
    }
    let u = 0
    let v = 0
    let s = 0
    do {
      u = nextFloat() * 2 - 1
      v = nextFloat() * 2 - 1
      s = u * u + v * v
    } while (s >= 1 || s === 0)
    const factor = Math.sqrt(-2 * naturalLog(s) / s)
    spareGaussian = v * factor
    return u * factor
  }
  return { nextUint32, nextFloat, nextInt, nextGaussian }
}

const LN2 = 0.6931471805599453

/**
 * ln(x) for 0 < x < 2^1024 from +, -, *, / only (IEEE-exact in every engine):
 * x = m * 2^e with m in [sqrt(1/2), sqrt(2)), then ln m = 2 atanh((m-1)/(m+1)),
 * whose series in t = (m-1)/(m+1), |t| < 0.172, reaches double precision in
 * 11 terms. Accurate to a few ulp, which is all a Gaussian draw needs.
 */
export const naturalLog = (x: number): number => {
  let m = x
  let e = 0
  while (m >= Math.SQRT2) {
    m *= 0.5
    e++
  }
  while (m < Math.SQRT1_2) {
    m *= 2
    e--
  }
  const t = (m - 1) / (m + 1)
  const t2 = t * t
  let term = t
  let sum = 0
  for (let n = 1; n <= 23; n += 2) {
    sum += term / n
    term *= t2
  }
  return 2 * sum + e * LN2
}
