/**
 * LINGUA never sends a state-changing message without confirm, whatever the
 * sentence; hostile sentences (huge, control characters, odd unicode) get a
 * clear refusal, never a crash or a message.
 */
import { describe, expect, it } from "vitest"
import * as fc from "fast-check"
import { PROTOCOLS } from "../../../src/actors/protocols.ts"
import { Lingua } from "../../../src/actors/lingua/messages.ts"
import { dispatch, readsOnly, understand } from "../../../src/actors/lingua/understand.ts"
import * as Protocol from "../../../src/runtime/Protocol.ts"
import type { AgentMessage } from "../../../src/runtime/Agent.ts"
import { compiled, corpus, lists, validate } from "./fixtures.ts"

const accessOf = (agent: string, type: string) => PROTOCOLS.get(agent)?.messages.find((m) => m.type === type)?.access ?? "read"
const hasConfirmField = (agent: string, type: string) =>
  Object.keys((PROTOCOLS.get(agent)?.get(type)?.request as unknown as { fields: Record<string, unknown> } | undefined)?.fields ?? {}).includes("confirm")

/** Sent without the caller's confirmation, this message changes nothing: a read, a listed read above read access, or a plan. */
const harmless = (agent: string, message: AgentMessage) =>
  accessOf(agent, message.type) === "read" ||
  readsOnly(agent, message) ||
  (hasConfirmField(agent, message.type) && message.confirm !== true)

const entries = corpus()
const words = [...new Set(entries.flatMap((e) => e.text.split(" ")))]

describe("LINGUA sends nothing state-changing without confirm", () => {
  it("the per-message table: every message above read access that is not a listed read or a plan is marked state-changing", () => {
    const wrong: Array<string> = []
    for (const { intent, templates } of compiled.intents) {
      for (const e of entries.filter((x) => x.intent === intent.id).slice(0, 3)) {
        if (!intent.changes && !harmless(e.agent, e.message)) wrong.push(`${intent.id}: ${e.agent} ${JSON.stringify(e.message)}`)
      }
      expect(templates.length).toBeGreaterThan(0)
    }
    expect(wrong).toEqual([])
  })

  it("property: for any sentence (generated, shuffled or mixed words) run without confirm sends only harmless messages", () => {
    const sentence = fc.oneof(
      fc.constantFrom(...entries.map((e) => e.text)),
      fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 8 }).map((ws) => ws.join(" ")),
      fc.string({ maxLength: 60 })
    )
    fc.assert(
      fc.property(sentence, (text) => {
        const outcome = understand(compiled, text, { lists, validate })
        if (outcome._tag !== "Understood") return true
        const decided = dispatch(outcome.best, false)
        if (!decided.send) return outcome.best.changes
        return harmless(outcome.best.agent, decided.message) && decided.message.confirm === undefined
      }),
      { numRuns: 3_000, seed: 20 }
    )
  })

  it("with confirm, a plan-then-confirm message gets confirm: true, and only then", () => {
    const snapshot = understand(compiled, "snapshot tank/photos", { lists, validate })
    expect(snapshot._tag).toBe("Understood")
    if (snapshot._tag !== "Understood") return
    expect(dispatch(snapshot.best, false).send).toBe(false)
    expect(dispatch(snapshot.best, true)).toEqual({ send: true, message: { type: "snapshot", dataset: "tank/photos", confirm: true } })
    const preview = understand(compiled, "what would pruning delete on tank/media", { lists, validate })
    if (preview._tag !== "Understood") throw new Error(preview._tag)
    expect(dispatch(preview.best, true)).toEqual({ send: true, message: { type: "prune", dataset: "tank/media" } })
  })
})

describe("LINGUA refuses hostile sentences clearly", () => {
  const check = (text: unknown) => Protocol.checkRequest(Lingua, { type: "parse", text })
  it("at the boundary: too long, control characters, bidirectional overrides, not text", () => {
    for (const [text, why] of [
      ["scrub tank ".repeat(200), "at most 1000"],
      ["scrub\u0000tank", "without control characters"],
      ["scrub tank\u001b[2J", "without control characters"],
      ["scrub \u202etank", "bidirectional overrides"],
      ["   ", "not blank"],
      [42, "string"]
    ] as const) {
      const checked = check(text)
      expect(checked._tag, JSON.stringify(text)).toBe("Failure")
      if (checked._tag === "Failure") {
        expect(checked.failure).toContain(why)
        expect(checked.failure).toContain("text")
      }
    }
  })
  it("past the boundary: unicode, emoji, many words, lone punctuation get a typed answer, never a crash", () => {
    for (const text of ["💾💾💾", "ｓｃｒｕｂ ｔａｎｋ", "scrub tank " + "please ".repeat(50), "?!?!", "Ｓcrub ta\u0301nk", "scrub tank ".repeat(30)]) {
      const outcome = understand(compiled, text, { lists, validate })
      expect(["NotUnderstood", "UnknownName", "Understood"]).toContain(outcome._tag)
    }
    const long = understand(compiled, "show ".repeat(41), { lists, validate })
    expect(long).toMatchObject({ _tag: "NotUnderstood", reason: "the sentence is too long (41 words; at most 40)" })
  })
  it("property: arbitrary unicode never throws", () => {
    fc.assert(fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), (text) => {
      expect(() => understand(compiled, text, { lists, validate })).not.toThrow()
    }), { numRuns: 500, seed: 20 })
  })
  it("says what it did not understand: an unknown name with near matches, or the closest phrasing", () => {
    expect(understand(compiled, "scrub tnak", { lists, validate })).toMatchObject({ _tag: "Understood" })
    expect(understand(compiled, "scrub tonk2", { lists, validate })).toMatchObject({ _tag: "UnknownName", noun: "pool", said: "tonk2", near: ["tank"] })
    expect(understand(compiled, "scrub zzz", { lists, validate })).toMatchObject({ _tag: "UnknownName", noun: "pool", said: "zzz", near: [] })
    const nothing = understand(compiled, "sing me a song about pools", { lists, validate })
    expect(nothing._tag).toBe("NotUnderstood")
  })
})
