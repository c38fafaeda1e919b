/** The order of kernel releases VANGUARD's reboot check uses. */
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { compareKernelReleases } from "../../../src/adapters/apt/kernel.ts"

describe("compareKernelReleases", () => {
  it("orders Debian's releases by their numbers, not their text", () => {
    const sorted = ["6.1.0-9-amd64", "6.1.0-28-amd64", "6.1.0-30-amd64", "6.12.118+deb12-rt-amd64", "6.2.0-1-amd64"].sort(compareKernelReleases)
    expect(sorted).toEqual(["6.1.0-9-amd64", "6.1.0-28-amd64", "6.1.0-30-amd64", "6.2.0-1-amd64", "6.12.118+deb12-rt-amd64"])
    expect(compareKernelReleases("6.1.0-28-amd64", "6.1.0-28-amd64")).toBe(0)
  })

  it("is a total order: antisymmetric and transitive on any strings", () => {
    const release = fc.stringMatching(/^[0-9a-z.+~-]{0,20}$/)
    fc.assert(fc.property(release, release, release, (a, b, c) => {
      expect(Math.sign(compareKernelReleases(a, b))).toBe(-Math.sign(compareKernelReleases(b, a)) || 0)
      if (compareKernelReleases(a, b) <= 0 && compareKernelReleases(b, c) <= 0) expect(compareKernelReleases(a, c)).toBeLessThanOrEqual(0)
    }), { numRuns: 1000 })
  })
})
