/** `sigmavault report`: its command line, parsed strictly before the daemon is asked. */
import { describe, expect, it } from "vitest"
import { planReport } from "../../src/cli/report.ts"
import { parse } from "../../src/cli/args.ts"

const plan = (argv: ReadonlyArray<string>) => {
  const parsed = parse(["report", ...argv])
  if (parsed._tag !== "Command") throw new Error(`not a command: ${parsed._tag}`)
  return planReport(parsed.parsed)
}
const error = (argv: ReadonlyArray<string>) => {
  const planned = plan(argv)
  return planned.ok ? undefined : planned.message
}

describe("sigmavault report", () => {
  it("takes a kind, a period, --json, -o FILE and --force", () => {
    expect(plan(["health"])).toEqual({ ok: true, plan: { kind: "health", period: undefined, json: false, html: false, output: undefined, force: false } })
    expect(plan(["security", "--period", "month", "--json", "-o", "/tmp/s.json", "--force"])).toEqual({
      ok: true,
      plan: { kind: "security", period: "month", json: true, html: false, output: "/tmp/s.json", force: true }
    })
  })

  it("refuses what it cannot mean, naming it", () => {
    expect(error(["weather"])).toBe("KIND 'weather' is not a report; the kinds are health, capacity, security, activity")
    expect(error(["health", "--period", "year"])).toBe("--period 'year' must be day, week or month")
    expect(error(["health", "--json", "--html"])).toBe("--json and --html: choose one")
    expect(error(["health", "--force"])).toBe("--force only goes with -o FILE (it allows replacing FILE)")
    const missing = parse(["report"])
    expect(missing._tag).toBe("UsageError")
  })
})
