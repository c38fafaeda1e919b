/** `sigmavault chart`: its command line, parsed strictly, and what it prints. */
import { readFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { describe, expect, it } from "vitest"
import { parse } from "../../src/cli/args.ts"
import { planChart, renderSparklines } from "../../src/cli/chart.ts"

const ROOT = resolve(import.meta.dirname, "../..")

/** Every module `file` loads at run time (type-only imports left out), as paths relative to the repository. */
const loads = (file: string, seen = new Set<string>()): Set<string> => {
  const path = relative(ROOT, file)
  if (seen.has(path)) return seen
  seen.add(path)
  const text = readFileSync(file, "utf8")
  for (const match of text.matchAll(/^import (?!type )[^"]*"([^"]+)"|import\("([^"]+)"\)/gm)) {
    const spec = match[1] ?? match[2]!
    if (spec.startsWith(".")) loads(join(dirname(file), spec), seen)
    else seen.add(spec)
  }
  return seen
}

const plan = (argv: ReadonlyArray<string>) => {
  const parsed = parse(["chart", ...argv])
  if (parsed._tag !== "Command") throw new Error(`expected a command, got ${JSON.stringify(parsed)}`)
  return planChart(parsed.parsed)
}
const error = (argv: ReadonlyArray<string>) => {
  const planned = plan(argv)
  return planned.ok ? "no error" : planned.message
}

describe("sigmavault chart", () => {
  it("plans sparklines by default and an SVG file with -o", () => {
    expect(plan(["sigmavault_pool_allocated_bytes{pool=\"tank\"}"])).toEqual({
      ok: true,
      plan: {
        selector: { metric: "sigmavault_pool_allocated_bytes", matchers: [{ label: "pool", op: "=", value: "tank" }] },
        since: "24h",
        output: undefined,
        force: false,
        width: undefined,
        height: undefined,
        limit: undefined
      }
    })
    const svg = plan(["sigmavault_agent_messages_total", "--since", "7d", "-o", "m.svg", "--force", "--width", "1200", "--height", "500", "--limit", "12"])
    expect(svg).toEqual({
      ok: true,
      plan: { selector: { metric: "sigmavault_agent_messages_total", matchers: [] }, since: "7d", output: "m.svg", force: true, width: 1200, height: 500, limit: 12 }
    })
  })

  it("names what is wrong with SERIES, and where", () => {
    expect(error(["sigmavault_pool_allocated_bytes{pool=tank}"])).toBe(
      "SERIES 'sigmavault_pool_allocated_bytes{pool=tank}': at column 38: expected a quoted value (\"…\", '…' or `…`) for the label 'pool', found 't'"
    )
    expect(error(["{pool=\"tank\"}"])).toMatch(/^SERIES '\{pool="tank"\}': at column 1: expected a metric name/)
    expect(error(["m{pool=\"tank\""])).toMatch(/expected ',' or '}' after the matcher on 'pool', found the end/)
    expect(error(["m{pool=~\"[\"}"])).toMatch(/not a regular expression/)
    expect(error([""])).toMatch(/^SERIES '': is empty/)
  })

  it("refuses flags that do not fit, saying why", () => {
    expect(error(["m", "--since", "7"])).toMatch(/^--since: '7' is not a duration such as 1h, 24h, 7d or 30d/)
    expect(error(["m", "--since", "5y"])).toMatch(/^--since: '5y' is not a duration/)
    expect(error(["m", "--force"])).toBe("--force only goes with -o FILE (it allows replacing FILE)")
    expect(error(["m", "--height", "300"])).toBe("--height only goes with -o FILE (an SVG's height)")
    expect(error(["m", "--width", "300"])).toBe("--width '300' must be a whole number from 8 to 240 (sparkline characters)")
    expect(error(["m", "-o", "x.svg", "--width", "100"])).toBe("--width '100' must be a whole number from 320 to 4000 (SVG pixels, with -o)")
    expect(error(["m", "-o", "x.svg", "--limit", "13"])).toBe("--limit '13' must be a whole number from 1 to 12 (lines in one SVG chart)")
    expect(error(["m", "-o", ""])).toBe("-o needs a file name")
    const missing = parse(["chart"])
    expect(missing._tag === "UsageError" ? missing.message : "").toMatch(/chart needs SERIES, got 0 arguments/)
  })

  it("loads no part of the daemon: no composition, no machine, no actor system, no XState", () => {
    const modules = [...loads(join(ROOT, "src/cli/chart.ts"))]
    expect(modules).toContain("src/actors/canvas/selector.ts")
    expect(modules.filter((m) => /^src\/daemon\/|\/machine\.ts$|^src\/runtime\/ActorSystem\.ts$|^xstate$|^src\/actors\/roster\.ts$/.test(m))).toEqual([])
  })

  it("its help tells what it does", () => {
    const help = parse(["chart", "--help"])
    expect(help._tag).toBe("Help")
    const text = help._tag === "Help" ? help.text : ""
    expect(text).toContain("Usage: sigmavault chart SERIES [options]")
    expect(text).toContain("-o, --output FILE")
    expect(text).toContain("--force")
    expect(text).toContain("sigmavault chart 'sigmavault_pool_allocated_bytes{pool=\"tank\"}' --since 7d -o tank.svg")
    expect(text).toContain("rates per")
  })

  it("prints each series' labels, its sparkline and its figures; hostile labels stay escaped", () => {
    const text = renderSparklines({
      metric: "sigmavault_agent_messages_total",
      selector: "sigmavault_agent_messages_total",
      type: "counter",
      unit: "messages/s",
      rate: true,
      from: 0,
      to: 3_600_000,
      step: 30_000,
      matched: 3,
      omitted: 1,
      width: 8,
      series: [
        { labels: { agent: "CORE" }, line: " ▁▂▃▄▅▆█", min: 0, max: 1, last: 1, lastAt: 3_600_000, text: "min 0 messages/s · max 1 messages/s · last 1 messages/s" },
        { labels: { agent: "\u001b[2J\u009b31m" }, line: "        ", text: "no data" }
      ]
    })
    expect(text).toBe(
      "sigmavault_agent_messages_total — rate per second, messages/s, step 30 s\n" +
        "agent=\"CORE\"\n" +
        "   ▁▂▃▄▅▆█  min 0 messages/s · max 1 messages/s · last 1 messages/s\n" +
        "agent=\"\\u001b[2J\\u009b31m\"\n" +
        "            no data\n" +
        "1 more series not shown (--limit, or narrow SERIES with label matchers)\n"
    )
  })
})
