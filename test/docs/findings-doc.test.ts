/** docs/findings.md's catalogue is MENTOR's: `npm run docs:findings` would change nothing. */
import { readFileSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { CATALOGUE } from "../../src/actors/mentor/catalogue.ts"
import { FINDINGS_DOC, withCatalogue } from "../../tools/findings-docs.ts"

describe("docs/findings.md", () => {
  it("lists every code of MENTOR's catalogue exactly as `npm run docs:findings` writes it", () => {
    const page = readFileSync(FINDINGS_DOC, "utf8")
    assert.strictEqual(page, withCatalogue(page), "docs/findings.md is stale: run `npm run docs:findings`")
    for (const entry of CATALOGUE) assert.include(page, `### ${entry.code}: ${entry.title}\n`)
  })
})
