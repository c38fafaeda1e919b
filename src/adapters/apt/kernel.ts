/**
 * Orders kernel releases as `uname -r` prints them ("6.1.0-28-amd64",
 * "6.12.118+deb12-rt-amd64"): runs of digits compare as numbers, everything
 * else as text, left to right — enough to tell a newer Debian ABI from an
 * older one. Pure.
 */
const parts = (release: string): ReadonlyArray<string> => release.match(/\d+|\D+/g) ?? []

export const compareKernelReleases = (a: string, b: string): number => {
  const left = parts(a)
  const right = parts(b)
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const x = left[i]
    const y = right[i]
    if (x === undefined) return -1
    if (y === undefined) return 1
    const xn = /^\d/.test(x)
    const yn = /^\d/.test(y)
    if (xn && yn) {
      const diff = Number(x) - Number(y)
      if (diff !== 0) return diff < 0 ? -1 : 1
    } else if (x !== y) {
      // A run of digits sorts after text.
      if (xn !== yn) return xn ? 1 : -1
      return x < y ? -1 : 1
    }
  }
  return 0
}
