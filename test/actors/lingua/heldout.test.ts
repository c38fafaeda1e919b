import { describe, expect, it } from "vitest"
import { understand } from "../../../src/actors/lingua/understand.ts"
import { compiled, lists, validate } from "./fixtures.ts"
import { HELD_OUT } from "./heldout.ts"

/** The goal of issue 20: intent + slots exact on >= 95 % of hand-written phrasings the grammar was not tuned on. */
export const heldOutAccuracy = () => {
  const misses: Array<string> = []
  for (const [text, agent, message] of HELD_OUT) {
    const outcome = understand(compiled, text, { lists, validate })
    if (agent === null) {
      if (outcome._tag === "Understood") misses.push(`${text} → ${outcome.best.agent} ${JSON.stringify(outcome.best.message)}; wanted a rejection`)
      continue
    }
    if (outcome._tag !== "Understood") {
      misses.push(`${text} → ${outcome._tag}`)
      continue
    }
    if (outcome.best.agent !== agent || JSON.stringify(outcome.best.message) !== JSON.stringify(message)) {
      misses.push(`${text} → ${outcome.best.agent} ${JSON.stringify(outcome.best.message)}; wanted ${agent} ${JSON.stringify(message)}`)
    }
  }
  return { total: HELD_OUT.length, misses, accuracy: (HELD_OUT.length - misses.length) / HELD_OUT.length }
}

describe("LINGUA on held-out hand-written phrasings", () => {
  it("understands at least 95 % exactly (intent and slots)", () => {
    const { accuracy, misses, total } = heldOutAccuracy()
    console.log(`held-out phrasings: ${total - misses.length}/${total} exact (${(accuracy * 100).toFixed(1)} %)`)
    if (misses.length > 0) console.log(misses.join("\n"))
    expect(accuracy).toBeGreaterThanOrEqual(0.95)
  })
})
