/**
 * FLUX's condition language: a small, safe expression language over the
 * triggering event. No `eval`, no `Function`, no JavaScript: a hand-written
 * lexer and recursive-descent parser into a plain AST, a printer that gives
 * the canonical text back, and a compiler into closures.
 *
 *   expr    := or
 *   or      := and ("or" and)*
 *   and     := not ("and" not)*
 *   not     := "not" not | compare
 *   compare := value (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "matches") value)?
 *   value   := NUMBER | STRING | true | false | null | "[" [value ("," value)*] "]"
 *            | event ("." NAME)* | "(" expr ")"
 *
 * Strings are JSON strings ("a\"b", "\u00e9"); numbers are JSON numbers with
 * an optional minus. `in` is membership in a list (or a substring of a
 * string); `matches` takes a string literal: a regular expression of at most
 * 200 characters, without back-references or nested quantifiers (so no
 * catastrophic backtracking), tested against at most the first 1,024
 * characters. Comparisons of different types are false, never an error;
 * a missing field is null. Truthy: true, a non-zero number, a non-empty
 * string or list.
 *
 * Parsing never throws: an error names the position (0-based, in characters)
 * and what was expected there.
 */
import { Result } from "effect"

export type Value = string | number | boolean | null | ReadonlyArray<Value>

export type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "matches"

export type Expr =
  | { readonly kind: "literal"; readonly value: string | number | boolean | null }
  | { readonly kind: "list"; readonly items: ReadonlyArray<Expr> }
  | { readonly kind: "path"; readonly path: ReadonlyArray<string> }
  | { readonly kind: "not"; readonly operand: Expr }
  | { readonly kind: "and" | "or"; readonly left: Expr; readonly right: Expr }
  | { readonly kind: "compare"; readonly op: CompareOp; readonly left: Expr; readonly right: Expr }

export interface ParseError {
  /** 0-based character offset */
  readonly position: number
  readonly expected: string
  readonly found: string
  readonly message: string
}

export type Parsed = { readonly ok: true; readonly expr: Expr } | { readonly ok: false; readonly error: ParseError }

export interface Limits {
  readonly maxLength: number
  readonly maxDepth: number
}

export const DEFAULT_LIMITS: Limits = { maxLength: 1_000, maxDepth: 32 }
export const MAX_REGEX_LENGTH = 200
export const MAX_MATCH_INPUT = 1_024
const MAX_LIST = 100
const ROOT = "event"

// ---- lexer ------------------------------------------------------------------

type Token =
  | { readonly t: "num"; readonly value: number; readonly at: number; readonly text: string }
  | { readonly t: "str"; readonly value: string; readonly at: number; readonly text: string }
  | { readonly t: "word"; readonly value: string; readonly at: number; readonly text: string }
  | { readonly t: "sym"; readonly value: string; readonly at: number; readonly text: string }
  | { readonly t: "end"; readonly at: number; readonly text: string }

/** Where parsing stopped and why: returned, never thrown. */
class Fail {
  constructor(readonly position: number, readonly expected: string, readonly found: string) {}
}

const failed = (value: unknown): value is Fail => value instanceof Fail

const SYMBOLS = ["==", "!=", "<=", ">=", "<", ">", "(", ")", "[", "]", ",", "."]
const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/
const WORD = /^[A-Za-z_][A-Za-z0-9_]*/

const shown = (text: string) => (text === "" ? "the end" : JSON.stringify(text.length > 20 ? text.slice(0, 20) + "…" : text))

const lex = (source: string): Array<Token> | Fail => {
  const tokens: Array<Token> = []
  let i = 0
  while (i < source.length) {
    const c = source[i]!
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++
      continue
    }
    const rest = source.slice(i, i + 400)
    const num = NUMBER.exec(rest)
    if (num !== null && (c !== "-" || num[0].length > 1)) {
      const value = Number(num[0])
      if (!Number.isFinite(value)) return new Fail(i, "a finite number", shown(num[0]))
      tokens.push({ t: "num", value, at: i, text: num[0] })
      i += num[0].length
      continue
    }
    if (c === "\"") {
      let j = i + 1
      let value = ""
      for (;;) {
        if (j >= source.length) return new Fail(j, "a closing '\"'", "the end")
        const d = source[j]!
        if (d === "\"") break
        if (d < " ") return new Fail(j, "a character of a string (control characters are written \\n, \\t, \\uXXXX)", JSON.stringify(d))
        if (d === "\\") {
          const e = source[j + 1]
          const simple: Record<string, string> = { "\"": "\"", "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" }
          if (e !== undefined && simple[e] !== undefined) {
            value += simple[e]
            j += 2
            continue
          }
          if (e === "u" && /^[0-9a-fA-F]{4}$/.test(source.slice(j + 2, j + 6))) {
            value += String.fromCharCode(parseInt(source.slice(j + 2, j + 6), 16))
            j += 6
            continue
          }
          return new Fail(j, "an escape: \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX", shown(source.slice(j, j + 2)))
        }
        value += d
        j++
      }
      tokens.push({ t: "str", value, at: i, text: source.slice(i, j + 1) })
      i = j + 1
      continue
    }
    const word = WORD.exec(rest)
    if (word !== null) {
      tokens.push({ t: "word", value: word[0], at: i, text: word[0] })
      i += word[0].length
      continue
    }
    const sym = SYMBOLS.find((s) => source.startsWith(s, i))
    if (sym !== undefined) {
      tokens.push({ t: "sym", value: sym, at: i, text: sym })
      i += sym.length
      continue
    }
    return new Fail(i, "a value, an operator or a parenthesis", shown(c))
  }
  tokens.push({ t: "end", at: source.length, text: "" })
  return tokens
}

// ---- regular expressions for `matches` -----------------------------------------

/**
 * True when a group followed by a quantifier holds a quantifier, an
 * alternative or another group: the shapes behind catastrophic backtracking.
 */
const riskyRepeat = (pattern: string): boolean => {
  const open: Array<{ readonly at: number; risky: boolean }> = []
  let inClass = false
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!
    if (c === "\\") {
      i++
      continue
    }
    if (inClass) {
      if (c === "]") inClass = false
      continue
    }
    if (c === "[") {
      inClass = true
      continue
    }
    if (c === "(") {
      if (open.length > 0) open[open.length - 1]!.risky = true
      open.push({ at: i, risky: false })
      if (pattern[i + 1] === "?") i += 2
      continue
    }
    if (c === ")") {
      const group = open.pop()
      const next = pattern[i + 1]
      if (group !== undefined && group.risky && (next === "*" || next === "+" || next === "{" || next === "?")) return true
      continue
    }
    if ((c === "*" || c === "+" || c === "{" || c === "|" || c === "?") && open.length > 0) open[open.length - 1]!.risky = true
  }
  return false
}

/** Why a `matches` pattern is refused, or undefined when it is safe to run. */
export const unsafeRegex = (pattern: string): string | undefined => {
  if (pattern.length > MAX_REGEX_LENGTH) return `a pattern of at most ${MAX_REGEX_LENGTH} characters`
  if (/\\[1-9]|\\k</.test(pattern)) return "a pattern without back-references"
  if (riskyRepeat(pattern)) return "a pattern whose repeated groups hold no repetition, alternatives or groups of their own (like (a+)+ or (a|aa)*)"
  if (/\(\?<?[=!]/.test(pattern)) return "a pattern without look-around"
  const compiled = Result.try(() => new RegExp(pattern))
  return Result.isFailure(compiled) ? `a valid regular expression (${String(compiled.failure).slice(0, 80)})` : undefined
}

// ---- parser -----------------------------------------------------------------

const KEYWORDS = new Set(["and", "or", "not", "in", "matches", "true", "false", "null"])
const COMPARE: ReadonlyArray<string> = ["==", "!=", "<", "<=", ">", ">=", "in", "matches"]
const VALUE_EXPECTED = "a value (a number, a \"string\", true, false, null, a [list], event.FIELD or a parenthesis)"

export const parse = (source: string, limits: Limits = DEFAULT_LIMITS): Parsed => {
  const result = parseOrFail(source, limits)
  if (!failed(result)) return { ok: true, expr: result }
  return {
    ok: false,
    error: {
      position: result.position,
      expected: result.expected,
      found: result.found,
      message: `at ${result.position}: expected ${result.expected}, found ${result.found}`
    }
  }
}

const parseOrFail = (source: string, limits: Limits): Expr | Fail => {
  if (typeof source !== "string") return new Fail(0, "text", typeof source)
  if (source.length > limits.maxLength) return new Fail(limits.maxLength, `at most ${limits.maxLength} characters`, `${source.length} characters`)
  const tokens = lex(source)
  if (failed(tokens)) return tokens
  let k = 0
  const peek = () => tokens[k]!
  const isWord = (w: string) => peek().t === "word" && peek().text === w
  const isSym = (s: string) => peek().t === "sym" && peek().text === s
  const unexpected = (what: string) => new Fail(peek().at, what, shown(peek().text))
  const tooDeep = (depth: number) => depth > limits.maxDepth ? unexpected(`at most ${limits.maxDepth} levels of nesting`) : undefined

  const orExpr = (depth: number): Expr | Fail => {
    const deep = tooDeep(depth + 1)
    if (deep !== undefined) return deep
    let left = andExpr(depth + 1)
    while (!failed(left) && isWord("or")) {
      k++
      const right = andExpr(depth + 1)
      if (failed(right)) return right
      left = { kind: "or", left, right }
    }
    return left
  }
  const andExpr = (depth: number): Expr | Fail => {
    let left = notExpr(depth)
    while (!failed(left) && isWord("and")) {
      k++
      const right = notExpr(depth)
      if (failed(right)) return right
      left = { kind: "and", left, right }
    }
    return left
  }
  const notExpr = (depth: number): Expr | Fail => {
    if (!isWord("not")) return compare(depth)
    k++
    const deep = tooDeep(depth + 1)
    if (deep !== undefined) return deep
    const operand = notExpr(depth + 1)
    return failed(operand) ? operand : { kind: "not", operand }
  }
  const compare = (depth: number): Expr | Fail => {
    const left = value(depth)
    if (failed(left)) return left
    const token = peek()
    const op = token.t === "sym" || token.t === "word" ? token.text : ""
    if (!COMPARE.includes(op)) return left
    k++
    const rightAt = peek().at
    const right = value(depth)
    if (failed(right)) return right
    if (op === "matches") {
      if (right.kind !== "literal" || typeof right.value !== "string") return new Fail(rightAt, "a \"string\" holding a regular expression after matches", shown(tokens[k - 1]!.text))
      const unsafe = unsafeRegex(right.value)
      if (unsafe !== undefined) return new Fail(rightAt, unsafe, shown(right.value))
    }
    const next = peek()
    if ((next.t === "sym" || next.t === "word") && COMPARE.includes(next.text)) {
      return unexpected("and, or, a closing parenthesis or the end (comparisons do not chain: use and)")
    }
    return { kind: "compare", op: op as CompareOp, left, right }
  }
  const value = (depth: number): Expr | Fail => {
    const token = peek()
    if (token.t === "num" || token.t === "str") {
      k++
      return { kind: "literal", value: token.value }
    }
    if (token.t === "word") {
      if (token.text === "true" || token.text === "false" || token.text === "null") {
        k++
        return { kind: "literal", value: token.text === "null" ? null : token.text === "true" }
      }
      if (token.text !== ROOT) return unexpected(KEYWORDS.has(token.text) ? VALUE_EXPECTED : `${VALUE_EXPECTED}; the only name is event`)
      k++
      const path: Array<string> = [ROOT]
      while (isSym(".")) {
        k++
        if (peek().t !== "word") return unexpected("a field name after '.'")
        path.push(peek().text)
        k++
      }
      return { kind: "path", path }
    }
    if (isSym("(")) {
      k++
      const inner = orExpr(depth)
      if (failed(inner)) return inner
      if (!isSym(")")) return unexpected("a closing parenthesis ')'")
      k++
      return inner
    }
    if (isSym("[")) {
      k++
      const deep = tooDeep(depth + 1)
      if (deep !== undefined) return deep
      const items: Array<Expr> = []
      if (!isSym("]")) {
        for (;;) {
          if (items.length >= MAX_LIST) return unexpected(`at most ${MAX_LIST} items in a list`)
          const item = value(depth + 1)
          if (failed(item)) return item
          items.push(item)
          if (!isSym(",")) break
          k++
        }
      }
      if (!isSym("]")) return unexpected("',' or a closing bracket ']'")
      k++
      return { kind: "list", items }
    }
    return unexpected(VALUE_EXPECTED)
  }

  const expr = orExpr(0)
  if (failed(expr)) return expr
  if (peek().t !== "end") return unexpected("and, or, a comparison or the end")
  return expr
}

// ---- printer ----------------------------------------------------------------

const printNumber = (n: number) => (Object.is(n, -0) ? "-0" : String(n))

/** The canonical text of an expression: `parse(print(e))` gives `e` back. Operations (not, and, or, comparisons) are parenthesised. */
export const print = (expr: Expr): string => {
  switch (expr.kind) {
    case "literal":
      return typeof expr.value === "string" ? JSON.stringify(expr.value) : typeof expr.value === "number" ? printNumber(expr.value) : String(expr.value)
    case "list":
      return `[${expr.items.map(print).join(", ")}]`
    case "path":
      return expr.path.join(".")
    case "not":
      return `(not ${print(expr.operand)})`
    case "and":
    case "or":
      return `(${print(expr.left)} ${expr.kind} ${print(expr.right)})`
    case "compare":
      return `(${print(expr.left)} ${expr.op} ${print(expr.right)})`
  }
}

// ---- evaluation -------------------------------------------------------------

export type Scope = Readonly<Record<string, unknown>>

export const truthy = (value: Value): boolean =>
  value === true || (typeof value === "number" && value !== 0 && !Number.isNaN(value)) ||
  (typeof value === "string" && value !== "") || (Array.isArray(value) && value.length > 0)

const asValue = (raw: unknown): Value => {
  if (raw === null || raw === undefined) return null
  if (typeof raw === "string" || typeof raw === "boolean") return raw
  if (typeof raw === "number") return Number.isFinite(raw) ? raw : null
  if (Array.isArray(raw)) return raw.map(asValue)
  return null
}

const equal = (a: Value, b: Value): boolean => {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]!))
  return a === b
}

const order = (op: CompareOp, a: Value, b: Value): boolean => {
  if (!((typeof a === "number" && typeof b === "number") || (typeof a === "string" && typeof b === "string"))) return false
  switch (op) {
    case "<":
      return a < b
    case "<=":
      return a <= b
    case ">":
      return a > b
    default:
      return a >= b
  }
}

type Compiled = (event: Scope) => Value

/** Compiles an expression into a closure; the closure never throws. */
export const compile = (expr: Expr): ((event: Scope) => boolean) => {
  const c = compileValue(expr)
  return (event) => truthy(c(event))
}

const compileValue = (expr: Expr): Compiled => {
  switch (expr.kind) {
    case "literal": {
      const v = expr.value
      return () => v
    }
    case "list": {
      // A list of literals is built once.
      if (expr.items.every((i) => i.kind === "literal")) {
        const constant = expr.items.map((i) => (i as { readonly value: Value }).value)
        return () => constant
      }
      const items = expr.items.map(compileValue)
      return (e) => items.map((i) => i(e))
    }
    case "path": {
      const fields = expr.path.slice(1)
      if (fields.length === 1) {
        const f = fields[0]!
        return (e) => (Object.hasOwn(e, f) ? asValue(e[f]) : null)
      }
      return (e) => {
        let at: unknown = e
        for (const f of fields) {
          if (at === null || typeof at !== "object" || Array.isArray(at) || !Object.hasOwn(at, f)) return null
          at = (at as Record<string, unknown>)[f]
        }
        return asValue(at)
      }
    }
    case "not": {
      const o = compileValue(expr.operand)
      return (e) => !truthy(o(e))
    }
    case "and": {
      const l = compileValue(expr.left)
      const r = compileValue(expr.right)
      return (e) => truthy(l(e)) && truthy(r(e))
    }
    case "or": {
      const l = compileValue(expr.left)
      const r = compileValue(expr.right)
      return (e) => truthy(l(e)) || truthy(r(e))
    }
    case "compare": {
      const l = compileValue(expr.left)
      const r = compileValue(expr.right)
      // The common shapes: a field against a literal, a field in a list of literals.
      const right = expr.right
      if ((expr.op === "==" || expr.op === "!=") && right.kind === "literal") {
        const v = right.value
        return expr.op === "==" ? (e) => l(e) === v : (e) => l(e) !== v
      }
      if (expr.op === "in" && right.kind === "list" && right.items.every((i) => i.kind === "literal")) {
        const set = new Set(right.items.map((i) => (i as { readonly value: Value }).value))
        return (e) => {
          const a = l(e)
          return !Array.isArray(a) && set.has(a as string | number | boolean | null)
        }
      }
      switch (expr.op) {
        case "==":
          return (e) => equal(l(e), r(e))
        case "!=":
          return (e) => !equal(l(e), r(e))
        case "in":
          return (e) => {
            const a = l(e)
            const b = r(e)
            if (Array.isArray(b)) return b.some((x) => equal(a, x))
            return typeof a === "string" && typeof b === "string" && b.includes(a)
          }
        case "matches": {
          const source = expr.right.kind === "literal" && typeof expr.right.value === "string" ? expr.right.value : undefined
          const re = source === undefined || unsafeRegex(source) !== undefined ? undefined : new RegExp(source)
          return (e) => {
            const a = l(e)
            return re !== undefined && typeof a === "string" && re.test(a.slice(0, MAX_MATCH_INPUT))
          }
        }
        default: {
          const op = expr.op
          return (e) => order(op, l(e), r(e))
        }
      }
    }
  }
}

/** The fields an expression reads from the event, e.g. ["severity", "agent"]. */
export const fieldsRead = (expr: Expr): ReadonlyArray<string> => {
  const out = new Set<string>()
  const walk = (e: Expr): void => {
    switch (e.kind) {
      case "path":
        if (e.path.length > 1) out.add(e.path.slice(1).join("."))
        return
      case "list":
        e.items.forEach(walk)
        return
      case "not":
        walk(e.operand)
        return
      case "literal":
        return
      default:
        walk(e.left)
        walk(e.right)
    }
  }
  walk(expr)
  return [...out]
}
