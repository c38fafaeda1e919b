/**
 * The differential (issue 17): random share and timer specs, from arbitraries
 * broader than the schema, through FORGE and through the real testparm,
 * exportfs and systemd-analyze. FORGE accepts and the tool accepts and reads
 * the render as the spec means it; or FORGE refuses and the tool refuses or
 * misreads the naive render — or the refusal is one of the named rules no tool
 * here can show (test/support/forgeDifferential.ts). No third outcome.
 * bench/forge/ runs the same on 1,000+ specs and prints the agreement.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import { makeDifferential, type Outcome, shareInput, tally, timerInput } from "../support/forgeDifferential.ts"
import { requireTools } from "../support/tools.ts"

requireTools("testparm", "exportfs", "unshare", "nsenter", "mount", "umount", "systemd-analyze")
const differential = makeDifferential()
afterAll(() => differential.close())

const printable = (input: unknown) =>
  JSON.stringify(input).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)

const noThirdOutcome = (outcomes: Array<Outcome>) => (input: Record<string, unknown>, outcome: Outcome) => {
  outcomes.push(outcome)
  assert.notStrictEqual(outcome.kind, "disagreement", `${printable(input)}: ${"detail" in outcome ? outcome.detail : ""}`)
}

describe("FORGE against the real tools on random specs", () => {
  it("shares: FORGE and testparm/exportfs agree on every spec", { timeout: 300_000 }, async () => {
    const outcomes: Array<Outcome> = []
    const check = noThirdOutcome(outcomes)
    await fc.assert(fc.asyncProperty(shareInput(differential.root), async (input) => check(input, await differential.share(input))), {
      numRuns: 100
    })
    const summary = tally(outcomes)
    // Both outcomes occur, so the property says something either way.
    assert.isAbove(summary.accepted, 0, JSON.stringify(summary))
    assert.isAbove(summary.refusedAndToolRefusesOrMisreads, 0, JSON.stringify(summary))
  })

  it("timers: FORGE and systemd-analyze agree on every spec", { timeout: 300_000 }, async () => {
    const outcomes: Array<Outcome> = []
    const check = noThirdOutcome(outcomes)
    await fc.assert(fc.asyncProperty(timerInput, async (input) => check(input, await differential.timer(input))), { numRuns: 60 })
    const summary = tally(outcomes)
    assert.isAbove(summary.accepted, 0, JSON.stringify(summary))
    assert.isAbove(summary.refusedAndToolRefusesOrMisreads, 0, JSON.stringify(summary))
  })
})
