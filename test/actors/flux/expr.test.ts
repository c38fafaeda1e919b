/** FLUX's condition language: parser, printer and evaluator, by example and by property. */
import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import { compile, DEFAULT_LIMITS, type Expr, fieldsRead, MAX_MATCH_INPUT, parse, print, unsafeRegex } from "../../../src/actors/flux/expr.ts"

const ok = (source: string): Expr => {
  const parsed = parse(source)
  if (!parsed.ok) throw new Error(parsed.error.message)
  return parsed.expr
}
const error = (source: string) => {
  const parsed = parse(source)
  if (parsed.ok) throw new Error(`'${source}' parsed: ${print(parsed.expr)}`)
  return parsed.error
}
const holds = (source: string, event: Record<string, unknown>) => compile(ok(source))(event)

const oracleCritical = { kind: "alert", agent: "ORACLE", severity: "critical", subject: "/dev/sdb", text: "SMART 197 rising", code: "SMART-197" }

describe("FLUX expressions by example", () => {
  it("reads the issue's example and evaluates it on an alert", () => {
    const source = "event.severity == \"critical\" and event.agent in [\"ORACLE\",\"LATTICE\"]"
    assert.isTrue(holds(source, oracleCritical))
    assert.isFalse(holds(source, { ...oracleCritical, agent: "HELIX" }))
    assert.isFalse(holds(source, { ...oracleCritical, severity: "warning" }))
    assert.strictEqual(print(ok(source)), "((event.severity == \"critical\") and (event.agent in [\"ORACLE\", \"LATTICE\"]))")
    assert.deepStrictEqual(fieldsRead(ok(source)), ["severity", "agent"])
  })

  it("and binds tighter than or; not tighter than and; parentheses group", () => {
    assert.strictEqual(print(ok("event.a or event.b and event.c")), "(event.a or (event.b and event.c))")
    assert.strictEqual(print(ok("not event.a and event.b")), "((not event.a) and event.b)")
    assert.strictEqual(print(ok("(event.a or event.b) and event.c")), "((event.a or event.b) and event.c)")
    assert.isTrue(holds("not (event.severity == \"info\")", oracleCritical))
  })

  it("compares numbers and strings, never across types; a missing field is null", () => {
    const metric = { kind: "metric", name: "sigmavault_pool_used_ratio", labels: { pool: "tank" }, value: 0.93 }
    assert.isTrue(holds("event.value >= 0.9 and event.labels.pool == \"tank\"", metric))
    assert.isFalse(holds("event.value > \"0.5\"", metric))
    assert.isTrue(holds("event.nothing == null", metric))
    assert.isTrue(holds("event.labels.missing == null", metric))
    assert.isTrue(holds("\"b\" > \"a\" and -1.5e2 < 0", {}))
    assert.isTrue(holds("\"sdb\" in event.subject", oracleCritical))
    assert.isTrue(holds("event.code matches \"^SMART-19[78]$\"", oracleCritical))
    assert.isFalse(holds("event.alerts matches \"1\"", { alerts: 1 }))
  })

  it("errors name the position and what was expected there", () => {
    assert.deepInclude(error("event.severity =="), { position: 17, found: "the end" })
    assert.include(error("event.severity ==").expected, "a value")
    assert.deepInclude(error("event.severity = \"x\""), { position: 15 })
    assert.deepInclude(error("(event.a"), { position: 8, expected: "a closing parenthesis ')'" })
    assert.include(error("window.alert(1)").message, "at 0: expected a value")
    assert.include(error("window.alert(1)").message, "the only name is event")
    assert.deepInclude(error("event.a == 1 == 2"), { position: 13 })
    assert.include(error("event.a == 1 == 2").expected, "comparisons do not chain")
    assert.deepInclude(error("\"open"), { position: 5, expected: "a closing '\"'" })
    assert.include(error("event.x matches event.y").expected, "a \"string\" holding a regular expression")
    assert.strictEqual(error("event.a == 1 event.b").message, "at 13: expected and, or, a comparison or the end, found \"event\"")
  })

  it("matches takes only bounded, backtracking-safe patterns, on a bounded input", () => {
    assert.include(error("event.s matches \"(a+)+$\"").expected, "repeated group")
    assert.include(error("event.s matches \"(a|aa)*b\"").expected, "repeated group")
    assert.include(error("event.s matches \"((a)+)+\"").expected, "repeated group")
    assert.isUndefined(unsafeRegex("(ab)+c"))
    assert.include(error("event.s matches \"(a)\\\\1\"").expected, "back-references")
    assert.include(error(`event.s matches ${JSON.stringify("a".repeat(201))}`).expected, "at most 200 characters")
    assert.include(error("event.s matches \"[\"").expected, "a valid regular expression")
    assert.isUndefined(unsafeRegex("^pool (tank|backup)$"))
    // Only the first MAX_MATCH_INPUT characters are tested.
    assert.isFalse(holds("event.s matches \"b$\"", { s: "a".repeat(MAX_MATCH_INPUT) + "b" }))
    assert.isTrue(holds("event.s matches \"b$\"", { s: "a".repeat(MAX_MATCH_INPUT - 1) + "b" }))
  })

  it("refuses text longer than the limit and nesting deeper than the limit", () => {
    assert.include(error("1 == ".repeat(300)).message, `at ${DEFAULT_LIMITS.maxLength}: expected at most ${DEFAULT_LIMITS.maxLength} characters`)
    assert.include(error("(".repeat(40) + "true" + ")".repeat(40)).expected, "levels of nesting")
    assert.include(error("[".repeat(40) + "]".repeat(40)).expected, "levels of nesting")
    assert.include(error("not ".repeat(40) + "true").expected, "levels of nesting")
    assert.isTrue(holds("(".repeat(20) + "true" + ")".repeat(20), {}))
  })

  it("cannot reach JavaScript: no calls, no prototype, no globals", () => {
    assert.isFalse(parse("event.constructor(1)").ok)
    assert.isTrue(holds("event.constructor == null and event.__proto__ == null and event.toString == null", {}))
    assert.isFalse(parse("process.exit()").ok)
    assert.isFalse(parse("event[0]").ok)
  })
})

// ---- properties --------------------------------------------------------------------

const field = fc.stringMatching(/^[a-z_][a-z0-9_]{0,6}$/)
const literal: fc.Arbitrary<Expr> = fc.oneof(
  fc.string({ maxLength: 12, unit: "grapheme" }).map((value): Expr => ({ kind: "literal", value })),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((value): Expr => ({ kind: "literal", value })),
  fc.integer({ min: -1000, max: 1000 }).map((value): Expr => ({ kind: "literal", value })),
  fc.constantFrom<Expr>({ kind: "literal", value: true }, { kind: "literal", value: false }, { kind: "literal", value: null })
)
const path = fc.array(field, { maxLength: 3 }).map((fields): Expr => ({ kind: "path", path: ["event", ...fields] }))
const safePattern = fc.constantFrom("^a", "b+", "[0-9]{2}", "^(tank|backup)$", "x?y")

const { expr: arbitraryExpr } = fc.letrec<{ expr: Expr; value: Expr }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    literal,
    path,
    fc.array(tie("value"), { maxLength: 3 }).map((items): Expr => ({ kind: "list", items })),
    tie("expr")
  ),
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    literal,
    path,
    tie("expr").map((operand): Expr => ({ kind: "not", operand })),
    fc.record({ kind: fc.constantFrom("and" as const, "or" as const), left: tie("expr"), right: tie("expr") }),
    fc.record({ kind: fc.constant("compare" as const), op: fc.constantFrom("==" as const, "!=" as const, "<" as const, "<=" as const, ">" as const, ">=" as const, "in" as const), left: tie("value"), right: tie("value") }),
    fc.record({ kind: fc.constant("compare" as const), op: fc.constant("matches" as const), left: tie("value"), right: safePattern.map((value): Expr => ({ kind: "literal", value })) })
  )
}))

const depth = (e: Expr): number => {
  switch (e.kind) {
    case "literal":
    case "path":
      return 1
    case "list":
      return 1 + Math.max(0, ...e.items.map(depth))
    case "not":
      return 1 + depth(e.operand)
    default:
      return 1 + Math.max(depth(e.left), depth(e.right))
  }
}

/** Text made of the language's own pieces, so the parser goes deep before it fails. */
const tokenSoup = fc.array(
  fc.constantFrom("event", ".", "severity", "==", "!=", "<", ">=", "and", "or", "not", "in", "matches", "(", ")", "[", "]", ",", "\"x\"", "\"", "\\", "1", "-", "2.5e3", "true", "null", " ", "@", "\u0000"),
  { maxLength: 40 }
).map((parts) => parts.join(" "))

describe("FLUX expressions by property", () => {
  it("parse never throws; an error names a position inside the text and what was expected", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), tokenSoup, fc.string({ maxLength: 60, unit: "binary" })), (source) => {
        const parsed = parse(source)
        if (parsed.ok) return
        const { position, expected, message } = parsed.error
        assert.isAtLeast(position, 0)
        assert.isAtMost(position, source.length)
        assert.isAbove(expected.length, 0)
        assert.isTrue(message.startsWith(`at ${position}: expected `), message)
      }),
      { numRuns: 1500 }
    )
  })

  it("round-trip: the printer's text parses back to the same expression, and prints the same", () => {
    fc.assert(
      fc.property(arbitraryExpr.filter((e) => depth(e) <= 10), (expr) => {
        const text = print(expr)
        const parsed = parse(text, { maxLength: 100_000, maxDepth: 64 })
        assert.isTrue(parsed.ok, parsed.ok ? "" : `${text}: ${parsed.error.message}`)
        if (!parsed.ok) return
        assert.deepStrictEqual(parsed.expr, expr)
        assert.strictEqual(print(parsed.expr), text)
      }),
      { numRuns: 1500 }
    )
  })

  it("the compiled closures agree with a plain reference interpreter of the documented semantics", () => {
    type V = unknown
    const asV = (raw: unknown): V =>
      raw === undefined || raw === null ? null : typeof raw === "number" ? (Number.isFinite(raw) ? raw : null) : typeof raw === "string" || typeof raw === "boolean" ? raw : Array.isArray(raw) ? raw.map(asV) : null
    const truthy = (v: V) => v === true || (typeof v === "number" && v !== 0) || (typeof v === "string" && v !== "") || (Array.isArray(v) && v.length > 0)
    const eq = (a: V, b: V): boolean => Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((x, i) => eq(x, b[i])) : a === b
    const value = (e: Expr, event: Record<string, unknown>): V => {
      switch (e.kind) {
        case "literal":
          return e.value
        case "list":
          return e.items.map((i) => value(i, event))
        case "path": {
          let at: unknown = event
          for (const f of e.path.slice(1)) {
            if (at === null || typeof at !== "object" || Array.isArray(at) || !Object.hasOwn(at, f)) return null
            at = (at as Record<string, unknown>)[f]
          }
          return asV(at)
        }
        case "not":
          return !truthy(value(e.operand, event))
        case "and":
          return truthy(value(e.left, event)) && truthy(value(e.right, event))
        case "or":
          return truthy(value(e.left, event)) || truthy(value(e.right, event))
        case "compare": {
          const a = value(e.left, event)
          const b = value(e.right, event)
          switch (e.op) {
            case "==":
              return eq(a, b)
            case "!=":
              return !eq(a, b)
            case "in":
              return Array.isArray(b) ? b.some((x) => eq(a, x)) : typeof a === "string" && typeof b === "string" && b.includes(a)
            case "matches":
              return typeof a === "string" && new RegExp(b as string).test(a.slice(0, MAX_MATCH_INPUT))
            default: {
              const same = (typeof a === "number" && typeof b === "number") || (typeof a === "string" && typeof b === "string")
              if (!same) return false
              const x = a as number
              const y = b as number
              return e.op === "<" ? x < y : e.op === "<=" ? x <= y : e.op === ">" ? x > y : x >= y
            }
          }
        }
      }
    }
    const event = fc.dictionary(fc.constantFrom("a", "b", "severity", "agent", "_x"), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom("a", "b", 0, 1, -1, true, null, "critical")))
    fc.assert(
      fc.property(arbitraryExpr.filter((e) => depth(e) <= 10), event, (expr, e) => {
        assert.strictEqual(compile(expr)(e), truthy(value(expr, e)), print(expr))
      }),
      { numRuns: 2000 }
    )
  })

  it("evaluation never throws and always answers a boolean, whatever the event holds", () => {
    fc.assert(
      fc.property(arbitraryExpr.filter((e) => depth(e) <= 10), fc.dictionary(field, fc.jsonValue({ maxDepth: 2 })), (expr, event) => {
        const result = compile(expr)(event)
        assert.isBoolean(result)
      }),
      { numRuns: 1500 }
    )
  })
})
