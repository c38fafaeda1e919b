import { describe, expect, it } from "vitest"
import * as fc from "fast-check"
import { compile } from "../../../src/actors/lingua/understand.ts"
import {
  allowedEdits,
  editDistance,
  matchTemplate,
  parseTemplate,
  resolveRules,
  TemplateError,
  tokenize,
  valueList
} from "../../../src/actors/lingua/grammar.ts"

const lists = (name: string) =>
  name === "pool" ? valueList("pool", ["tank", "Tank", "backup"]) : name === "path" ? { kind: "open" as const, accept: (raw: string) => (raw.startsWith("/") ? raw : undefined) } : undefined
const matches = (template: string, text: string) => matchTemplate(parseTemplate(template), tokenize(text), { lists })

describe("LINGUA template grammar (hassil syntax)", () => {
  it("alternatives, optionals, in-word optionals and alternatives", () => {
    const best = (template: string, text: string) => Math.min(...matches(template, text).map((m) => m.edits))
    expect(best("(list|show) [the] disk[s]", "show disks")).toBe(0)
    expect(best("(list|show) [the] disk[s]", "list the disk")).toBe(0)
    expect(best("turn(s|ed) on", "turned on")).toBe(0)
    expect(best("turn(s|ed) on", "turn on")).toBe(1) // only as a typo of "turns"
    expect(matches("turn(s|ed) on", "tur on")).toHaveLength(0)
    expect(best("read[-]only", "read-only")).toBe(0)
    expect(best("read[-]only", "readonly")).toBe(0)
  })
  it("permutations match in any order", () => {
    expect(matches("scrub (now;{pool})", "scrub tank now")[0]?.slots).toEqual([{ name: "pool", list: "pool", value: "tank" }])
    expect(matches("scrub (now;{pool})", "scrub now tank")).toHaveLength(1)
  })
  it("slots keep the name's case as the NAS spells it; the exact spelling wins", () => {
    expect(matches("scrub {pool}", "scrub TANK").map((m) => m.slots[0]!.value).sort()).toEqual(["Tank", "tank"])
    expect(matches("scrub {pool}", "scrub Tank").map((m) => m.slots[0]!.value)).toEqual(["Tank"])
    expect(matches("scrub {pool:target}", "scrub backup")[0]!.slots[0]).toEqual({ name: "target", list: "pool", value: "backup" })
  })
  it("rules are inlined; a cycle or an unknown rule is an error", () => {
    const rules = new Map([["the", parseTemplate("[the|a]")], ["loop", parseTemplate("<loop>")]])
    expect(matchTemplate(resolveRules(parseTemplate("show <the> pools"), rules), tokenize("show a pools"), { lists })).toHaveLength(1)
    expect(() => resolveRules(parseTemplate("<loop>"), rules)).toThrow(TemplateError)
    expect(() => resolveRules(parseTemplate("<nope>"), rules)).toThrow(/unknown rule <nope>/)
  })
  it("escapes and template errors", () => {
    expect(matches("what is \\(this\\)", "what is (this)")).toHaveLength(0) // punctuation is stripped from the sentence's words
    expect(() => parseTemplate("(a|b")).toThrow(/missing '\)'/)
    expect(() => parseTemplate("a {b")).toThrow(/missing '}'/)
    expect(() => parseTemplate("(a|b;c)")).toThrow(/mixed/)
    expect(() => parseTemplate("x{pool}")).toThrow(/glued/)
  })
  it("normalises: case, punctuation at word edges, whitespace, NFC, skip words", () => {
    expect(tokenize("  Please,   SCRUB  Tank!! ").map((t) => t.raw)).toEqual(["SCRUB", "Tank"])
    expect(tokenize("can you show /srv/a.iso.").map((t) => t.raw)).toEqual(["show", "/srv/a.iso"])
    expect(tokenize("cafe\u0301")[0]!.w).toBe("caf\u00e9")
  })
  it("a template holding skip words, or only a slot, is refused when the grammar compiles", () => {
    const intent = (sentence: string) => [{ id: "x", agent: "CORE", sentences: [sentence], build: () => ({ type: "facts" }), changes: false }]
    expect(() => compile(intent("which codes can you explain"))).toThrow(/holds the skip words 'can you'/)
    expect(() => compile(intent("[show] {pool}"), {})).toThrow(/may match a lone slot/)
    expect(() => compile(intent("show the facts"))).not.toThrow()
  })
  it("typo tolerance: exact up to 3 letters, 1 edit up to 7, 2 from 8", () => {
    expect([3, 4, 7, 8].map(allowedEdits)).toEqual([0, 1, 1, 2])
    expect(matches("scrub {pool}", "srcub tank")[0]!.edits).toBe(1)
    expect(matches("show the pools", "show teh pools")).toHaveLength(0)
    expect(matches("scrub {pool}", "scrub tnak")[0]!.slots[0]!.value).toBe("tank")
    expect(matches("check {path}", "chekc /srv")[0]!.edits).toBe(1)
    expect(matches("schedules", "shcedulse")).toHaveLength(1)
  })
  it("property: edit distance is symmetric, zero only for equal words, and bounded by max+1", () => {
    fc.assert(fc.property(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), fc.integer({ min: 0, max: 3 }), (a, b, max) => {
      const d = editDistance(a, b, max)
      expect(d).toBe(editDistance(b, a, max))
      expect(d === 0).toBe(a === b)
      expect(d).toBeLessThanOrEqual(max + 1)
    }))
  })
})
