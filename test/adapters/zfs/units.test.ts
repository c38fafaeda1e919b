import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { fromNice, toNice } from "../../../src/adapters/zfs/units.ts"

const T = 1024 ** 4

describe("zfs human numbers", () => {
  it("reads base-1024 sizes as zfs prints them", () => {
    expect(fromNice("12.7T")).toBe(Math.round(12.7 * T))
    expect(fromNice("3.62T")).toBe(3980232092549)
    expect(fromNice("1.50K")).toBe(1536)
    expect(fromNice("512B")).toBe(512)
    expect(fromNice("0B")).toBe(0)
    expect(fromNice("0")).toBe(0)
    expect(fromNice("100G")).toBe(100 * 1024 ** 3)
    expect(fromNice("16.0E")).toBe(16 * 1024 ** 6)
    expect(fromNice("1.21K")).toBe(1239)
    expect(fromNice("2KiB")).toBe(2048)
  })

  it("refuses what is not a zfs number", () => {
    for (const text of ["-", "", "none", "12 T", "1.2.3K", "-5K", "5X", "K", "1e3", "0x10", "NaN", ".5K", "5.K"]) expect(fromNice(text), text).toBeUndefined()
  })

  it("writes as zfs_nicenum_format does", () => {
    expect(toNice(512, "bytes")).toBe("512B")
    expect(toNice(512, "count")).toBe("512")
    expect(toNice(0, "bytes")).toBe("0B")
    expect(toNice(1024, "bytes")).toBe("1K")
    expect(toNice(1536, "bytes")).toBe("1.50K")
    expect(toNice(10239, "bytes")).toBe("10.0K")
    expect(toNice(3980298049536, "bytes")).toBe("3.62T")
    expect(toNice(72018011619328, "bytes")).toBe("65.5T")
    expect(toNice(107374182400, "bytes")).toBe("100G")
    expect(toNice(1239, "count")).toBe("1.21K")
  })

  it("what zfs writes reads back within its three significant digits", () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2n ** 62n }), fc.constantFrom("bytes" as const, "count" as const), (big, format) => {
      const n = Number(big)
      const text = toNice(n, format)
      expect(text.length).toBeLessThanOrEqual(5)
      const back = fromNice(text)!
      if (n < 1024) expect(back).toBe(n)
      else expect(Math.abs(back - n) / n).toBeLessThan(0.005)
    }), { numRuns: 2000 })
  })
})
