/** docs/metrics.md's table is the catalogue's: `npm run docs:metrics` would change nothing. */
import { readFileSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { METRICS } from "../../src/history/catalogue.ts"
import { METRICS_DOC, withCatalogue } from "../../tools/metrics-docs.ts"

describe("docs/metrics.md", () => {
  it("lists every metric of the catalogue exactly as `npm run docs:metrics` writes it", () => {
    const page = readFileSync(METRICS_DOC, "utf8")
    assert.strictEqual(page, withCatalogue(page), "docs/metrics.md is stale: run `npm run docs:metrics`")
    for (const m of METRICS) assert.include(page, `| \`${m.name}\` | ${m.type} |`)
  })

  it("every catalogued name follows Prometheus' conventions", () => {
    const names = new Set<string>()
    for (const m of METRICS) {
      assert.match(m.name, /^sigmavault_[a-z0-9_]+$/, m.name)
      assert.isFalse(names.has(m.name), `${m.name} is listed twice`)
      names.add(m.name)
      if (m.type === "counter") assert.match(m.name, /_total$/, `${m.name} is a counter`)
      else assert.notMatch(m.name, /_total$/, `${m.name} is a gauge`)
      assert.isAbove(m.help.length, 0)
      assert.strictEqual(m.help.trim(), m.help, `${m.name}: a help text neither starts nor ends with blanks`)
    }
  })
})
