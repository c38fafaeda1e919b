import { describe, expect, it } from "vitest"
import { understand } from "../../../src/actors/lingua/understand.ts"
import { compiled, corpus, lists, validate } from "./fixtures.ts"

describe("LINGUA corpus generated from the templates", () => {
  const entries = corpus()
  it("has sentences for every intent", () => {
    expect(new Set(entries.map((e) => e.intent)).size).toBe(compiled.intents.length)
    expect(entries.length).toBeGreaterThan(300)
  })
  it("every generated message is one its agent's schema takes", () => {
    const refused = entries.map((e) => ({ e, why: validate(e.agent, e.message) })).filter((x) => x.why !== undefined)
    expect(refused.map((x) => `${x.e.text} → ${x.e.agent} ${JSON.stringify(x.e.message)}: ${x.why}`)).toEqual([])
  })
  it("100 % of generated sentences parse to the intended message", () => {
    const wrong: Array<string> = []
    for (const e of entries) {
      const outcome = understand(compiled, e.text, { lists, validate })
      if (outcome._tag !== "Understood") {
        wrong.push(`${e.text} [${e.intent}] → ${outcome._tag} ${JSON.stringify(outcome).slice(0, 300)}`)
        continue
      }
      const got = outcome.best
      if (got.agent !== e.agent || JSON.stringify(got.message) !== JSON.stringify(e.message)) {
        wrong.push(`${e.text} [${e.intent}] → ${got.intent} ${got.agent} ${JSON.stringify(got.message)}; wanted ${e.agent} ${JSON.stringify(e.message)}`)
      }
    }
    expect(wrong).toEqual([])
  })
})
