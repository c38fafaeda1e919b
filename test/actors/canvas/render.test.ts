/**
 * CANVAS's pure parts: units and their human scale, rates of counters with
 * resets, gaps, the series cap, sparkline maths, time ticks, selectors, and
 * the SVG document: well-formed XML (checked by a strict parser) and free of
 * scripts and references whatever the labels hold.
 */
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { parseSelector, selectorText } from "../../../src/actors/canvas/selector.ts"
import { capLines, gapLimit, type Line, linesOf, ratesOf, segmentsOf } from "../../../src/actors/canvas/series.ts"
import { cellsOf, level, LEVELS, sparkline } from "../../../src/actors/canvas/sparkline.ts"
import { type ChartInput, renderChart } from "../../../src/actors/canvas/svg.ts"
import { DAY, HOUR, MINUTE, offsetName, parseDuration, queryStep, timeTicks } from "../../../src/actors/canvas/time.ts"
import { formatValue, niceStep, scaleFor, valueTicks } from "../../../src/actors/canvas/units.ts"
import { escapeXml, truncate } from "../../../src/actors/canvas/xml.ts"
import { compileMatchers, type Matcher } from "../../../src/history/History.ts"
import { elementsOf, parseXml, textOf } from "../../support/xml.ts"

const T0 = Date.UTC(2026, 11, 7, 12, 0, 0)

describe("CANVAS units", () => {
  it("scales bytes in binary units, seconds in µs/ms/s/min/h, ratios in %, others with k/M/G", () => {
    expect(formatValue(512, "bytes")).toBe("512 B")
    expect(formatValue(1536, "bytes")).toBe("1.5 KiB")
    expect(formatValue(3 * 1024 ** 3, "bytes")).toBe("3 GiB")
    expect(formatValue(5.5 * 1024 ** 4, "bytes")).toBe("5.5 TiB")
    expect(formatValue(2 * 1024 ** 2, "bytes/s")).toBe("2 MiB/s")
    expect(formatValue(0.000_25, "seconds")).toBe("250 µs")
    expect(formatValue(0.023, "seconds")).toBe("23 ms")
    expect(formatValue(1.5, "seconds")).toBe("1.5 s")
    expect(formatValue(600, "seconds")).toBe("10 min")
    expect(formatValue(0.42, "ratio")).toBe("42 %")
    expect(formatValue(41.5, "celsius")).toBe("41.5 °C")
    expect(formatValue(2.5, "messages/s")).toBe("2.5 messages/s")
    expect(formatValue(12_345, "messages/s")).toBe("12.3 k messages/s")
    expect(formatValue(1, "boolean")).toBe("1")
    expect(scaleFor("bytes", 0)).toEqual({ divisor: 1, label: "B" })
  })

  it("nice steps are 1, 2, 2.5 or 5 × 10^k and at least the rough step; ticks cover the range", () => {
    fc.assert(fc.property(fc.double({ min: 1e-6, max: 1e12, noNaN: true }), (rough) => {
      const step = niceStep(rough)
      expect(step).toBeGreaterThanOrEqual(rough * (1 - 1e-9))
      expect(step).toBeLessThanOrEqual(rough * 5)
      const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-12)
      expect([1, 2, 2.5, 5, 10].some((m) => Math.abs(m - mantissa) < 1e-6)).toBe(true)
    }))
    fc.assert(fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.double({ min: 0, max: 1e9, noNaN: true }), (low, span) => {
      const axis = valueTicks(low, low + span, 5)
      // Within a millionth of a step: floating-point fuzz never adds a whole step.
      expect(axis.low).toBeLessThanOrEqual(low + axis.step * 1e-6)
      expect(axis.high).toBeGreaterThanOrEqual(low + span - axis.step * 1e-6)
      for (let i = 1; i < axis.ticks.length; i++) expect(axis.ticks[i]!).toBeGreaterThan(axis.ticks[i - 1]!)
      expect(axis.ticks.length).toBeLessThanOrEqual(100)
    }))
  })
})

describe("CANVAS series", () => {
  it("a counter becomes a rate per second; a decrease is a reset counted from zero", () => {
    const points: Array<readonly [number, number]> = [[0, 100], [10_000, 150], [20_000, 250], [30_000, 20], [40_000, 70]]
    expect(ratesOf(points, 25_000)).toEqual([[[10_000, 5], [20_000, 10], [30_000, 2], [40_000, 5]]])
  })

  it("no rate across a gap, and lines break where points are further apart than the gap limit", () => {
    const points: Array<readonly [number, number]> = [[0, 1], [10_000, 2], [20_000, 3], [200_000, 4], [210_000, 6]]
    expect(gapLimit(points, 10_000, 1)).toBe(25_000)
    expect(segmentsOf(points, 25_000)).toEqual([[[0, 1], [10_000, 2], [20_000, 3]], [[200_000, 4], [210_000, 6]]])
    expect(ratesOf(points, 25_000)).toEqual([[[10_000, 0.1], [20_000, 0.1]], [[210_000, 0.2]]])
    // One missing step is jitter, not a gap; a series recorded every minute is a line on a 10 s grid.
    expect(segmentsOf([[0, 1], [20_000, 1]], gapLimit([[0, 1], [20_000, 1]], 10_000, 1))).toHaveLength(1)
    const minutely = Array.from({ length: 10 }, (_, i) => [i * MINUTE, i] as const)
    expect(segmentsOf(minutely, gapLimit(minutely, 10_000, 1))).toHaveLength(1)
  })

  it("property: rates of a counter that only grows are never negative and sum back to its increase", () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 1000 })), { minLength: 2, maxLength: 50 }), (steps) => {
      let t = 0
      let v = 0
      const points = steps.map(([dt, dv]) => {
        t += dt * 1000
        v += dv
        return [t, v] as const
      })
      const rates = ratesOf(points, Infinity).flat()
      for (const [, r] of rates) expect(r).toBeGreaterThanOrEqual(0)
      const total = rates.reduce((sum, [at, r], i) => sum + r * (at - (i === 0 ? points[0]![0] : rates[i - 1]![0])) / 1000, 0)
      expect(total).toBeCloseTo(points.at(-1)![1] - points[0]![1], 6)
    }))
  })

  it("caps the series at the highest peaks, and says how many were left out", () => {
    const lines = linesOf(
      Array.from({ length: 5 }, (_, i) => ({ name: "m", labels: { n: String(i) }, resolution: 1, points: [[0, i * 10] as const, [10_000, i] as const] })),
      { counter: false, step: 10_000 }
    )
    const { kept, omitted } = capLines(lines, 2)
    expect(kept.map((l) => l.labels.n)).toEqual(["3", "4"])
    expect(omitted).toBe(3)
    expect(capLines([{ name: "m", labels: {}, segments: [] }, ...lines], 6).kept).toHaveLength(6)
  })
})

describe("CANVAS sparklines", () => {
  it("maps the smallest cell to ▁ and the largest to █, a flat line to ▁, no data to a space", () => {
    expect(level(0, 0, 7)).toBe("▁")
    expect(level(7, 0, 7)).toBe("█")
    expect(level(3, 0, 7)).toBe("▄")
    expect(level(5, 5, 5)).toBe("▁")
    const s = sparkline([[[0, 0], [1000, 1], [2000, 2], [3000, 3], [4000, 4], [5000, 5], [6000, 6], [7000, 7]]], 0, 8000, 8)
    expect(s.line).toBe("▁▂▃▄▅▆▇█")
    expect([s.min, s.max, s.last, s.lastAt]).toEqual([0, 7, 7, 7000])
    expect(sparkline([[[0, 1]], [[6000, 3]]], 0, 8000, 8).line).toBe("▁     █ ")
    expect(sparkline([], 0, 8000, 8)).toEqual({ line: "        ", min: undefined, max: undefined, last: undefined, lastAt: undefined })
  })

  it("property: exactly `width` glyphs; cells are means; the glyph order follows the value order", () => {
    const arbitrary = fc.tuple(
      fc.integer({ min: 8, max: 120 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 99_999 }), fc.double({ min: -1e6, max: 1e6, noNaN: true })), { maxLength: 300 })
    )
    fc.assert(fc.property(arbitrary, ([width, raw]) => {
      const points = [...new Map(raw).entries()].sort((a, b) => a[0] - b[0]) as Array<readonly [number, number]>
      const s = sparkline([points], 0, 100_000, width)
      expect([...s.line]).toHaveLength(width)
      const cells = cellsOf([points], 0, 100_000, width)
      for (const [i, glyph] of [...s.line].entries()) {
        expect(glyph === " ").toBe(cells[i] === undefined)
        if (glyph !== " ") expect(LEVELS).toContain(glyph)
      }
      for (let i = 0; i < width; i++) {
        for (let j = 0; j < width; j++) {
          const a = cells[i]
          const b = cells[j]
          if (a !== undefined && b !== undefined && a < b) expect(LEVELS.indexOf(s.line[i] as never)).toBeLessThanOrEqual(LEVELS.indexOf(s.line[j] as never))
        }
      }
    }))
  })
})

describe("CANVAS time", () => {
  it("parses windows strictly", () => {
    expect(parseDuration("1h")).toBe(HOUR)
    expect(parseDuration("30d")).toBe(30 * DAY)
    expect(parseDuration("2w")).toBe(14 * DAY)
    expect(parseDuration("7 d")).toMatch(/not a duration/)
    expect(parseDuration("0h")).toMatch(/not a duration/)
    expect(parseDuration("30s")).toMatch(/shorter than a minute/)
    expect(parseDuration("800d")).toMatch(/longer than the two years/)
    expect(queryStep(HOUR, 432)).toBe(10_000)
    expect(queryStep(30 * DAY, 432)).toBe(2 * HOUR)
  })

  it("labels ticks by clock time for hours, by date for days, in the offset asked for", () => {
    expect(timeTicks(T0 - HOUR, T0, 7, 0).map((t) => t.label)).toEqual(["11:00", "11:10", "11:20", "11:30", "11:40", "11:50", "12:00"])
    expect(timeTicks(T0 - DAY, T0, 8, 0).map((t) => t.label)).toEqual(["12:00", "15:00", "18:00", "21:00", "7 Dec", "03:00", "06:00", "09:00", "12:00"])
    expect(timeTicks(T0 - 7 * DAY, T0, 10, 0).map((t) => t.label)).toEqual(["1 Dec", "2 Dec", "3 Dec", "4 Dec", "5 Dec", "6 Dec", "7 Dec"])
    expect(timeTicks(T0 - 30 * DAY, T0, 10, 0).map((t) => t.label)).toEqual(["9 Nov", "16 Nov", "23 Nov", "30 Nov", "7 Dec"])
    expect(timeTicks(T0 - HOUR, T0, 2, 90).map((t) => t.label)).toEqual(["12:30", "13:00", "13:30"])
    expect(offsetName(90)).toBe("UTC+01:30")
    expect(offsetName(-300)).toBe("UTC-05:00")
  })

  it("property: ticks are inside the window, in strictly increasing order, at most as many as asked", () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 2_000_000_000_000 }),
      fc.integer({ min: MINUTE, max: 700 * DAY }),
      fc.integer({ min: 2, max: 40 }),
      fc.integer({ min: -840, max: 840 }),
      (from, span, max, offset) => {
        const ticks = timeTicks(from, from + span, max, offset)
        expect(ticks.length).toBeLessThanOrEqual(max + 1)
        for (const [i, tick] of ticks.entries()) {
          expect(tick.at).toBeGreaterThanOrEqual(from)
          expect(tick.at).toBeLessThanOrEqual(from + span)
          if (i > 0) expect(tick.at).toBeGreaterThan(ticks[i - 1]!.at)
          expect(tick.label).toMatch(/^(\d\d:\d\d|\d{1,2} [A-Z][a-z]{2})$/)
        }
      }
    ))
  })
})

describe("CANVAS selectors", () => {
  it("parses PromQL selectors", () => {
    expect(parseSelector("sigmavault_pool_allocated_bytes")).toEqual({ ok: true, selector: { metric: "sigmavault_pool_allocated_bytes", matchers: [] } })
    expect(parseSelector(` m { pool = "tank", d=~'t.*' ,x!=\`a\\b\`, y!~"\\"q\\"\\u00e9", } `)).toEqual({
      ok: true,
      selector: {
        metric: "m",
        matchers: [
          { label: "pool", op: "=", value: "tank" },
          { label: "d", op: "=~", value: "t.*" },
          { label: "x", op: "!=", value: "a\\b" },
          { label: "y", op: "!~", value: "\"q\"é" }
        ]
      }
    })
    expect(parseSelector("m{}")).toEqual({ ok: true, selector: { metric: "m", matchers: [] } })
  })

  it("refuses what is not a selector, naming the column and what was expected", () => {
    const error = (text: string) => {
      const result = parseSelector(text)
      expect(result.ok).toBe(false)
      return result.ok ? "" : result.message
    }
    expect(error("")).toMatch(/is empty/)
    expect(error("9lives")).toBe("at column 1: expected a metric name (a letter, '_' or ':' first), found '9'")
    expect(error("m pool")).toBe("at column 3: expected '{' or the end after the metric name 'm', found 'p'")
    expect(error("m{pool}")).toBe("at column 7: expected one of = != =~ !~ after the label 'pool', found '}'")
    expect(error("m{pool=tank}")).toBe("at column 8: expected a quoted value (\"…\", '…' or `…`) for the label 'pool', found 't'")
    expect(error("m{pool=\"tank}")).toBe("at column 8: the value of 'pool' has no closing \"")
    expect(error("m{pool=\"tank\" x=\"1\"}")).toBe("at column 15: expected ',' or '}' after the matcher on 'pool', found 'x'")
    expect(error("m{pool=\"t\\q\"}")).toMatch(/^at column 10: unknown escape '\\\\q'/)
    expect(error("m{pool=~\"(\"}")).toMatch(/^the value of 'pool' \(after =~\) is not a regular expression/)
    expect(error("m{1x=\"a\"}")).toBe("at column 3: expected a label name (a letter or '_' first) or '}', found '1'")
    expect(error("m{a=\"b\"} junk")).toBe("at column 10: expected the end after '}', found 'j'")
    expect(error(`m{a="${"x".repeat(513)}"}`)).toMatch(/longer than 512/)
    // What the terminal shows is escaped: no control character reaches it.
    expect(error("m\u001b[31m")).toBe("at column 2: expected '{' or the end after the metric name 'm', found '\\u001b'")
  })

  it("property: the canonical text parses back to the same selector", () => {
    const matcher = fc.record({
      label: fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,10}$/),
      op: fc.constantFrom("=", "!=") as fc.Arbitrary<Matcher["op"]>,
      value: fc.string({ unit: "grapheme", maxLength: 40 })
    })
    fc.assert(fc.property(fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,30}$/), fc.array(matcher, { maxLength: 5 }), (metric, matchers) => {
      expect(parseSelector(selectorText(metric, matchers))).toEqual({ ok: true, selector: { metric, matchers } })
    }))
  })

  it("a regex the parser accepts is one the history accepts", () => {
    fc.assert(fc.property(fc.string({ maxLength: 12 }), (value) => {
      const parsed = parseSelector(selectorText("m", [{ label: "a", op: "=~", value }]))
      const compiled = compileMatchers([{ label: "a", op: "=~", value }])
      expect(parsed.ok).toBe(typeof compiled === "function")
    }))
  })
})

// ---- the SVG document ---------------------------------------------------------

const chart = (lines: ReadonlyArray<Line>, overrides: Partial<ChartInput> = {}): ChartInput => ({
  selector: "sigmavault_pool_allocated_bytes",
  help: "Space allocated in the pool.",
  unit: "bytes",
  rate: false,
  from: T0 - DAY,
  to: T0,
  windowText: "last 24h",
  offsetName: "UTC",
  offsetMinutes: 0,
  width: 960,
  height: 420,
  lines,
  omitted: 0,
  ...overrides
})

/** What a chart must never hold: scripts, event handlers, links, external resources, style sheets. */
const assertSelfContained = (svg: string) => {
  const root = parseXml(svg)
  expect(root.name).toBe("svg")
  const allowed = new Set(["svg", "title", "desc", "rect", "text", "g", "line", "path"])
  for (const element of elementsOf(root)) {
    expect(allowed.has(element.name), element.name).toBe(true)
    for (const [name, value] of element.attributes) {
      expect(name).not.toMatch(/^on|href|^xmlns:|^style$|^src$/i)
      if (name !== "xmlns") expect(value).not.toMatch(/url\(|javascript:|https?:/i)
    }
  }
  expect(root.attributes.get("xmlns")).toBe("http://www.w3.org/2000/svg")
  return root
}

const hostile = fc.oneof(
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.string({ maxLength: 60 }),
  fc.constantFrom("<script>alert(1)</script>", "\"><svg onload=alert(1)>", "]]>", "&amp;", "&#0;", "\u0000\u0001\u001b[31m", "\uD800", "\uFFFE", "x\"y'z<>&", "<!--", "--><!--")
)

describe("CANVAS SVG", () => {
  it("property: well-formed, self-contained XML whatever the labels, selector and help hold; the text reads back as given", () => {
    fc.assert(fc.property(
      fc.array(fc.dictionary(fc.stringMatching(/^[a-z_][a-z0-9_]{0,6}$/), hostile, { maxKeys: 3 }), { maxLength: 13 }),
      hostile,
      hostile,
      (labelSets, selector, help) => {
        const lines: Array<Line> = labelSets.map((labels, i) => ({ name: "m", labels, segments: [[[T0 - HOUR, i], [T0, i + 1]]] }))
        const svg = renderChart(chart(lines, { selector, help, omitted: 2 }))
        const root = assertSelfContained(svg)
        const text = elementsOf(root).filter((e) => e.name === "title")[0]!
        const clean = Array.from(selector.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "\uFFFD"))
        expect(textOf(text)).toBe(clean.length <= 400 ? clean.join("") : `${clean.slice(0, 399).join("")}…`)
      }
    ), { numRuns: 150 })
  })

  it("escapes every markup character and drops what XML forbids", () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;")
    expect(escapeXml("a\u0000b\u001bc\uD800d\uFFFEe\tf")).toBe("a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\tf")
    expect(escapeXml("😀")).toBe("😀")
    expect(truncate("😀😀😀", 2)).toBe("😀…")
  })

  it("property: the time axis is monotone: tick labels left to right in time order, line points left to right", () => {
    fc.assert(fc.property(
      fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
      fc.constantFrom(HOUR, DAY, 7 * DAY, 30 * DAY),
      fc.integer({ min: 320, max: 2000 }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 50 }),
      (to, span, width, fractions) => {
        const from = to - span
        const times = [...new Set(fractions.map((f) => Math.round(from + f * span)))].sort((a, b) => a - b)
        const svg = renderChart(chart([{ name: "m", labels: {}, segments: [times.map((t, i) => [t, i] as const)] }], { from, to, width }))
        const root = assertSelfContained(svg)
        const groups = elementsOf(root).filter((e) => e.name === "g" && e.attributes.get("text-anchor") === "middle")
        const xs = groups.flatMap((g) => g.children).filter((c) => typeof c !== "string").map((c) => Number((c as { attributes: ReadonlyMap<string, string> }).attributes.get("x")))
        expect(xs.length).toBeGreaterThan(0)
        for (let i = 1; i < xs.length; i++) expect(xs[i]!).toBeGreaterThan(xs[i - 1]!)
        for (const x of xs) expect(x >= 72 && x <= width - 24).toBe(true)
        const path = elementsOf(root).find((e) => e.name === "path")!.attributes.get("d")!
        const px = [...path.matchAll(/[ML](-?[\d.]+) /g)].map((m) => Number(m[1]))
        for (let i = 1; i < px.length; i++) expect(px[i]!).toBeGreaterThanOrEqual(px[i - 1]!)
      }
    ), { numRuns: 100 })
  })

  it("draws a gap as a move, a lone point as a dot, says when there is no data and what was left out", () => {
    const svg = renderChart(chart([{ name: "m", labels: { pool: "tank" }, segments: [[[T0 - 20 * HOUR, 1024], [T0 - 19 * HOUR, 2048]], [[T0 - 2 * HOUR, 4096]]] }], { omitted: 3 }))
    const d = /<path [^>]* d="([^"]*)"/.exec(svg)![1]!
    expect(d.match(/M/g)).toHaveLength(2)
    expect(d).toMatch(/ h0$/)
    expect(svg).toContain("pool=&quot;tank&quot; — last 4 KiB")
    expect(svg).toContain("3 more series not drawn")
    expect(svg).toContain(">KiB<")
    expect(renderChart(chart([]))).toContain("no data in this window")
    assertSelfContained(renderChart(chart([])))
  })
})
