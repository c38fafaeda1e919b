/**
 * LINGUA's template grammar, in the syntax of Home Assistant's hassil:
 * alternatives `(a|b)`, optional parts `[the]` (also inside a word: `disk[s]`),
 * permutations `(a;b)` (any order), slots `{pool}` or `{list:slot}`, rules
 * `<name>` (named sub-templates), and `\` to escape a special character.
 *
 * A template is parsed once into a tree over words; a sentence is matched by
 * backtracking over that tree (never by expanding every sentence it allows),
 * with typo tolerance on literal words and slot values (word-level edit
 * distance), and every complete match is scored the way hassil ranks them
 * (unknown names, edits, free slots, literal text). Pure: no I/O.
 */

export type Node =
  | { readonly k: "word"; readonly w: string }
  | { readonly k: "seq"; readonly xs: ReadonlyArray<Node> }
  | { readonly k: "alt"; readonly xs: ReadonlyArray<Node> }
  | { readonly k: "perm"; readonly xs: ReadonlyArray<Node> }
  | { readonly k: "slot"; readonly list: string; readonly name: string }
  | { readonly k: "rule"; readonly name: string }

export class TemplateError extends Error {}

const EMPTY: Node = { k: "seq", xs: [] }

/** Words of a template and of a sentence compare in this form. */
export const fold = (word: string): string => word.normalize("NFC").toLowerCase()

// ---- parsing -----------------------------------------------------------------------------------

interface Piece {
  readonly node: Node
  readonly spaceBefore: boolean
  /** literal text (a word fragment), for gluing in-word alternatives */
  readonly text?: string
}

const SPECIAL = new Set(["(", ")", "[", "]", "{", "}", "<", ">", "|", ";"])
const MAX_IN_WORD_FORMS = 64

/** Parses one template (or a rule's body) into its tree. Throws TemplateError naming the template. */
export const parseTemplate = (template: string): Node => {
  let i = 0
  const fail = (why: string): never => {
    throw new TemplateError(`template '${template}': ${why} at ${i}`)
  }

  // A sequence up to one of `stops`; returns its alternatives (split on '|') and permutation items (split on ';').
  const parseGroupBody = (close: string): { readonly alts: ReadonlyArray<Node>; readonly perm: boolean } => {
    const parts: Array<Node> = []
    let separator: "|" | ";" | undefined
    for (;;) {
      parts.push(parseSeq())
      if (i >= template.length) fail(`missing '${close}'`)
      const c = template[i]!
      if (c === close) {
        i++
        break
      }
      if (c === "|" || c === ";") {
        if (separator !== undefined && separator !== c) fail("'|' and ';' mixed in one group")
        separator = c
        i++
        continue
      }
      fail(`unexpected '${c}'`)
    }
    return { alts: parts, perm: separator === ";" }
  }

  const parseSeq = (): Node => {
    const pieces: Array<Piece> = []
    let space = true
    while (i < template.length) {
      const c = template[i]!
      if (c === ")" || c === "]" || c === "|" || c === ";") break
      if (/\s/.test(c)) {
        space = true
        i++
        continue
      }
      if (c === "(") {
        i++
        const { alts, perm } = parseGroupBody(")")
        const node: Node = perm ? { k: "perm", xs: alts } : alts.length === 1 ? alts[0]! : { k: "alt", xs: alts }
        pieces.push({ node, spaceBefore: space })
      } else if (c === "[") {
        i++
        const { alts, perm } = parseGroupBody("]")
        if (perm) fail("a permutation inside [ ]")
        pieces.push({ node: { k: "alt", xs: [...alts, EMPTY] }, spaceBefore: space })
      } else if (c === "{") {
        const end = template.indexOf("}", i)
        if (end < 0) fail("missing '}'")
        const spec = template.slice(i + 1, end).trim()
        const [list, name] = spec.split(":")
        if (!list || !/^[a-z][a-z0-9_]*$/.test(list) || (name !== undefined && !/^[a-z][A-Za-z0-9_]*$/.test(name))) {
          fail(`bad slot '{${spec}}'`)
        }
        pieces.push({ node: { k: "slot", list: list!, name: name ?? list! }, spaceBefore: space })
        i = end + 1
      } else if (c === "<") {
        const end = template.indexOf(">", i)
        if (end < 0) fail("missing '>'")
        const name = template.slice(i + 1, end).trim()
        if (!/^[a-z][a-z0-9_]*$/.test(name)) fail(`bad rule '<${name}>'`)
        pieces.push({ node: { k: "rule", name }, spaceBefore: space })
        i = end + 1
      } else if (c === "}" || c === ">") {
        fail(`unexpected '${c}'`)
      } else {
        let text = ""
        while (i < template.length) {
          const d = template[i]!
          if (d === "\\" && i + 1 < template.length) {
            text += template[i + 1]
            i += 2
            continue
          }
          if (/\s/.test(d) || SPECIAL.has(d)) break
          text += d
          i++
        }
        const w = fold(text)
        pieces.push({ node: { k: "word", w }, spaceBefore: space, text: w })
      }
      space = false
    }
    // Glue pieces written without a space between them into one word (`disk[s]`, `turn(s|ed)`).
    const words: Array<Node> = []
    let run: Array<Piece> = []
    const flush = () => {
      if (run.length === 1) words.push(run[0]!.node)
      else if (run.length > 1) words.push(glue(run.map((p) => p.node)))
      run = []
    }
    for (const p of pieces) {
      if (p.spaceBefore) flush()
      run.push(p)
    }
    flush()
    return words.length === 1 ? words[0]! : { k: "seq", xs: words }
  }

  /** Every form of a glued word: the product of its pieces' strings, split again at spaces. */
  const glue = (nodes: ReadonlyArray<Node>): Node => {
    let forms: Array<string> = [""]
    for (const n of nodes) {
      const strings = enumerate(n)
      const next: Array<string> = []
      for (const a of forms) for (const b of strings) next.push(a + b)
      if (next.length > MAX_IN_WORD_FORMS) fail("too many in-word alternatives")
      forms = next
    }
    const unique = [...new Set(forms.map((f) => f.trim()))]
    const alts = unique.map((f): Node => {
      const ws = f.split(/\s+/).filter((w) => w !== "")
      return ws.length === 1 ? { k: "word", w: ws[0]! } : { k: "seq", xs: ws.map((w): Node => ({ k: "word", w })) }
    })
    return alts.length === 1 ? alts[0]! : { k: "alt", xs: alts }
  }

  const enumerate = (n: Node): ReadonlyArray<string> => {
    switch (n.k) {
      case "word":
        return [n.w]
      case "alt":
        return n.xs.flatMap(enumerate)
      case "seq": {
        let out: Array<string> = [""]
        for (const x of n.xs) {
          const s = enumerate(x)
          out = out.flatMap((a) => s.map((b) => (a === "" ? b : b === "" ? a : `${a} ${b}`)))
        }
        return out
      }
      default:
        return fail("a slot, rule or permutation glued to a word")
    }
  }

  const root = parseSeq()
  if (i < template.length) fail(`unexpected '${template[i]}'`)
  return root
}

/** Inlines `<rule>` references (rules may use rules; a cycle is an error). */
export const resolveRules = (node: Node, rules: ReadonlyMap<string, Node>, seen: ReadonlyArray<string> = []): Node => {
  switch (node.k) {
    case "rule": {
      const body = rules.get(node.name)
      if (body === undefined) throw new TemplateError(`unknown rule <${node.name}>`)
      if (seen.includes(node.name)) throw new TemplateError(`rule <${node.name}> refers to itself`)
      return resolveRules(body, rules, [...seen, node.name])
    }
    case "seq":
    case "alt":
    case "perm":
      return { k: node.k, xs: node.xs.map((x) => resolveRules(x, rules, seen)) }
    default:
      return node
  }
}

/** Does the template have at least one literal word on every path (a lone `{name}` is never a sentence)? */
export const hasLiteral = (node: Node): boolean => {
  switch (node.k) {
    case "word":
      return node.w !== ""
    case "seq":
    case "perm":
      return node.xs.some(hasLiteral)
    case "alt":
      return node.xs.every(hasLiteral)
    default:
      return false
  }
}

// ---- sentences -----------------------------------------------------------------------------------

export interface Token {
  /** as typed (NFC), without surrounding punctuation: slot values keep their case */
  readonly raw: string
  /** folded, for comparing */
  readonly w: string
}

/** hassil's punctuation, stripped at word starts and ends (kept inside: 2.5, tank/media, /srv/a.iso). */
const EDGE_PUNCTUATION = /^[.,?!;:"'“”‘’«»()¿¡。、，？！]+|[.,?!;:"'“”‘’«»()¿¡。、，？！]+$/gu
export const SKIP_WORDS: ReadonlyArray<ReadonlyArray<string>> = [
  ["can", "you"],
  ["could", "you"],
  ["would", "you"],
  ["please"],
  ["kindly"],
  ["hey"],
  ["sigmavault"]
]

/** Splits a sentence into words: NFC, whitespace collapsed, edge punctuation stripped, skip words ("please") removed. */
export const tokenize = (text: string): ReadonlyArray<Token> => {
  const raw = text
    .normalize("NFC")
    .replace(/[’‘]/g, "'")
    .split(/\s+/)
    .map((w) => w.replace(EDGE_PUNCTUATION, ""))
    .filter((w) => w !== "")
  const tokens = raw.map((r): Token => ({ raw: r, w: fold(r) }))
  const out: Array<Token> = []
  for (let i = 0; i < tokens.length;) {
    const skip = SKIP_WORDS.find((s) => s.every((w, j) => tokens[i + j]?.w === w))
    if (skip !== undefined) {
      i += skip.length
      continue
    }
    out.push(tokens[i]!)
    i++
  }
  return out
}

// ---- edit distance ---------------------------------------------------------------------------------

/** How many edits a word of this length may have: exact up to 3 letters, 1 up to 7, 2 from 8. */
export const allowedEdits = (length: number): number => (length <= 3 ? 0 : length <= 7 ? 1 : 2)

/** Optimal-string-alignment (Damerau) distance, or max+1 once it is sure to exceed max. */
export const editDistance = (a: string, b: string, max: number): number => {
  if (a === b) return 0
  if (Math.abs(a.length - b.length) > max) return max + 1
  if (max === 0) return 1
  const n = b.length
  let prev2 = new Array<number>(n + 1).fill(0)
  let prev = Array.from({ length: n + 1 }, (_, j) => j)
  let cur = new Array<number>(n + 1).fill(0)
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i
    let rowMin = i
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1)
      cur[j] = v
      if (v < rowMin) rowMin = v
    }
    if (rowMin > max) return max + 1
    const t = prev2
    prev2 = prev
    prev = cur
    cur = t
  }
  return Math.min(prev[n]!, max + 1)
}

// ---- slot lists --------------------------------------------------------------------------------------

export interface ListValue {
  /** what goes in the message, exactly as the NAS spells it */
  readonly value: string
  /** the words that say it (folded) */
  readonly words: ReadonlyArray<string>
}

/**
 * A slot list: names the NAS has (`values`, with `known: false` when the
 * source could not be read — then any word of the right shape is taken, as a
 * free slot), or an open slot taking one word that `accept` turns into a value.
 */
export type SlotList =
  | {
    readonly kind: "values"
    readonly values: ReadonlyArray<ListValue>
    readonly known: boolean
    /** the shape a name must have when the list is not known */
    readonly shape?: (raw: string) => string | undefined
    /** for messages: "pool" */
    readonly noun: string
    /** exact first word → values, built once */
    readonly index?: ReadonlyMap<string, ReadonlyArray<ListValue>>
  }
  | { readonly kind: "open"; readonly accept: (raw: string) => string | undefined }

export const valueList = (
  noun: string,
  values: ReadonlyArray<string>,
  options: { readonly known?: boolean; readonly shape?: (raw: string) => string | undefined; readonly say?: (value: string) => ReadonlyArray<string> } = {}
): SlotList => {
  const items: Array<ListValue> = []
  for (const value of values) {
    for (const phrase of options.say?.(value) ?? [value]) {
      const words = phrase.split(/\s+/).filter((w) => w !== "").map(fold)
      if (words.length > 0) items.push({ value, words })
    }
  }
  const index = new Map<string, Array<ListValue>>()
  for (const item of items) {
    const first = item.words[0]!
    const bucket = index.get(first)
    if (bucket === undefined) index.set(first, [item])
    else bucket.push(item)
  }
  return {
    kind: "values",
    values: items,
    known: options.known ?? true,
    noun,
    index,
    ...(options.shape === undefined ? {} : { shape: options.shape })
  }
}

// ---- matching --------------------------------------------------------------------------------------

export interface Capture {
  readonly name: string
  readonly list: string
  readonly value: string
  /** a name not in its list (only in the second, explaining pass) */
  readonly unknown?: { readonly noun: string; readonly said: string; readonly near: ReadonlyArray<string> }
}

interface State {
  readonly edits: number
  readonly lit: number
  readonly free: number
  readonly unknown: number
  readonly caps: CapList
}
type CapList = { readonly cap: Capture; readonly next: CapList } | null

export interface Match {
  readonly slots: ReadonlyArray<Capture>
  readonly edits: number
  /** characters of literal template text matched */
  readonly literal: number
  /** slots filled from open lists (paths, numbers, new names) or lists that could not be read */
  readonly free: number
  readonly unknown: number
}

export interface MatchOptions {
  readonly lists: (name: string) => SlotList | undefined
  /** Second pass: a list slot may take a word that is not in its list, to say "no pool named X". */
  readonly allowUnknown?: boolean
  /** Stops enumerating after this many complete matches of one template. */
  readonly maxMatches?: number
}

const NEAR_LIMIT = 3

/** Every complete match of `tokens` by `node`, best first is up to the caller. */
/** A sentence ready for matching against many templates: word distances are computed once per sentence. */
export interface Prepared {
  readonly tokens: ReadonlyArray<Token>
  /** per position: template word → its edit count, when within the allowance (absent: too far) */
  readonly near: ReadonlyArray<Map<string, number>>
  readonly far: ReadonlyArray<Set<string>>
}

export const prepare = (tokens: ReadonlyArray<Token>): Prepared => ({
  tokens,
  near: tokens.map(() => new Map()),
  far: tokens.map(() => new Set())
})

/** The edits between the word at `pos` and a template word, or undefined when more than the word allows. */
export const wordAt = (p: Prepared, pos: number, word: string): number | undefined => {
  const near = p.near[pos]!
  const hit = near.get(word)
  if (hit !== undefined) return hit
  const far = p.far[pos]!
  if (far.has(word)) return undefined
  const allowed = allowedEdits(word.length)
  const d = editDistance(p.tokens[pos]!.w, word, allowed)
  if (d <= allowed) {
    near.set(word, d)
    return d
  }
  far.add(word)
  return undefined
}

/** Literal words every sentence of the template contains (for skipping templates that cannot match). */
export const requiredWords = (node: Node): ReadonlyArray<string> => {
  switch (node.k) {
    case "word":
      return node.w === "" ? [] : [node.w]
    case "seq":
    case "perm":
      return [...new Set(node.xs.flatMap(requiredWords))]
    case "alt": {
      const [first, ...rest] = node.xs.map(requiredWords)
      return (first ?? []).filter((w) => rest.every((r) => r.includes(w)))
    }
    default:
      return []
  }
}

/** Could some word of the sentence be this template word? */
export const sentenceHas = (p: Prepared, word: string): boolean => {
  for (let i = 0; i < p.tokens.length; i++) if (wordAt(p, i, word) !== undefined) return true
  return false
}

/** Every complete match of the sentence by `node`; the caller ranks them. */
export const matchTemplate = (node: Node, sentence: ReadonlyArray<Token> | Prepared, options: MatchOptions): ReadonlyArray<Match> => {
  const p: Prepared = "near" in sentence ? sentence : prepare(sentence)
  const tokens = p.tokens
  const n = tokens.length
  const results: Array<Match> = []
  const max = options.maxMatches ?? 64
  const within = (pos: number, word: string): number | undefined => wordAt(p, pos, word)

  const capture = (st: State, cap: Capture, extra: Partial<State>): State => ({
    edits: st.edits + (extra.edits ?? 0),
    lit: st.lit,
    free: st.free + (extra.free ?? 0),
    unknown: st.unknown + (extra.unknown ?? 0),
    caps: { cap, next: st.caps }
  })

  const m = (node: Node, pos: number, st: State, k: (pos: number, st: State) => void): void => {
    if (results.length >= max) return
    switch (node.k) {
      case "word": {
        if (pos >= n) return
        const d = within(pos, node.w)
        if (d !== undefined) k(pos + 1, { ...st, edits: st.edits + d, lit: st.lit + node.w.length })
        return
      }
      case "seq": {
        const step = (i: number, p: number, s: State): void => {
          if (i === node.xs.length) k(p, s)
          else m(node.xs[i]!, p, s, (p2, s2) => step(i + 1, p2, s2))
        }
        step(0, pos, st)
        return
      }
      case "alt":
        for (const x of node.xs) m(x, pos, st, k)
        return
      case "perm": {
        const rest = (left: ReadonlyArray<Node>, p: number, s: State): void => {
          if (left.length === 0) return k(p, s)
          left.forEach((x, j) => m(x, p, s, (p2, s2) => rest(left.filter((_, i) => i !== j), p2, s2)))
        }
        rest(node.xs, pos, st)
        return
      }
      case "rule":
        throw new TemplateError(`unresolved rule <${node.name}>`)
      case "slot": {
        if (pos >= n) return
        const list = options.lists(node.list)
        if (list === undefined) throw new TemplateError(`no slot list '${node.list}'`)
        const token = tokens[pos]!
        if (list.kind === "open") {
          const value = list.accept(token.raw)
          if (value !== undefined) k(pos + 1, capture(st, { name: node.name, list: node.list, value }, { free: 1 }))
          return
        }
        // Exact (case-insensitive) values first; a value spelled exactly as typed wins over other cases.
        const exact = (list.index?.get(token.w) ?? []).filter((v) => v.words.every((w, j) => tokens[pos + j]?.w === w))
        if (exact.length > 0) {
          const sameCase = exact.filter((v) => v.value === tokens.slice(pos, pos + v.words.length).map((t) => t.raw).join(" "))
          for (const v of sameCase.length > 0 ? sameCase : exact) {
            k(pos + v.words.length, capture(st, { name: node.name, list: node.list, value: v.value }, {}))
          }
          return
        }
        let fuzzy = false
        for (const v of list.values) {
          let edits = 0
          let ok = true
          for (let j = 0; j < v.words.length && ok; j++) {
            const d = pos + j >= n ? undefined : within(pos + j, v.words[j]!)
            if (d === undefined) ok = false
            else edits += d
          }
          if (ok) {
            fuzzy = true
            k(pos + v.words.length, capture(st, { name: node.name, list: node.list, value: v.value }, { edits }))
          }
        }
        if (fuzzy) return
        if (!list.known) {
          const value = list.shape?.(token.raw)
          if (value !== undefined) k(pos + 1, capture(st, { name: node.name, list: node.list, value }, { free: 1 }))
          return
        }
        if (options.allowUnknown === true) {
          const near = list.values
            .map((v) => ({ value: v.value, d: editDistance(token.w, v.words.join(" "), NEAR_LIMIT) }))
            .filter((x) => x.d <= NEAR_LIMIT)
            .sort((a, b) => a.d - b.d)
            .map((x) => x.value)
          const unknown = { noun: list.noun, said: token.raw, near: [...new Set(near)].slice(0, 3) }
          k(pos + 1, capture(st, { name: node.name, list: node.list, value: token.raw, unknown }, { unknown: 1 }))
        }
        return
      }
    }
  }

  m(node, 0, { edits: 0, lit: 0, free: 0, unknown: 0, caps: null }, (pos, st) => {
    if (pos !== n) return
    const slots: Array<Capture> = []
    for (let c = st.caps; c !== null; c = c.next) slots.unshift(c.cap)
    results.push({ slots, edits: st.edits, literal: st.lit, free: st.free, unknown: st.unknown })
  })
  return results
}

/** hassil's order, with edits: fewer unknown names, fewer edits, fewer free slots, more literal text. */
export const compareMatches = (a: Match, b: Match): number =>
  a.unknown - b.unknown || a.edits - b.edits || a.free - b.free || b.literal - a.literal

// ---- samples (for the test corpus and `phrases`) -----------------------------------------------------

export interface Sample {
  readonly text: string
  readonly slots: Readonly<Record<string, string>>
}

/**
 * Sentences a template allows, with the slot values used: each alternative
 * and optional taken in turn (not the full product), up to `limit`.
 * `pick(list, i)` gives the i-th value to put in a slot.
 */
export const sampleTemplate = (
  node: Node,
  pick: (list: string, i: number) => string | { readonly say: string; readonly value: string },
  limit: number,
  /** plain: one sentence, optional parts left out and the first of each alternative taken (an example to show) */
  mode: "vary" | "plain" = "vary"
): ReadonlyArray<Sample> => {
  // Count the choices, then walk variant v choosing option (v mod count) at each choice point, in order.
  const out: Array<Sample> = []
  const seen = new Set<string>()
  for (let v = 0; out.length < limit && v < limit * 4; v++) {
    let choice = 0
    const slots: Record<string, string> = {}
    const words: Array<string> = []
    const walk = (x: Node): void => {
      switch (x.k) {
        case "word":
          if (x.w !== "") words.push(x.w)
          return
        case "seq":
          x.xs.forEach(walk)
          return
        case "alt": {
          const c = choice++
          const last = x.xs[x.xs.length - 1]!
          const optional = last.k === "seq" && last.xs.length === 0
          if (mode === "plain") walk(optional ? last : x.xs[0]!)
          else walk(x.xs[(v + c * 7 + Math.floor(v / (c + 1))) % x.xs.length]!)
          return
        }
        case "perm": {
          const c = choice++
          const order = (v + c) % 2 === 0 ? x.xs : [...x.xs].reverse()
          order.forEach(walk)
          return
        }
        case "slot": {
          const picked = pick(x.list, v + choice++)
          slots[x.name] = typeof picked === "string" ? picked : picked.value
          words.push(typeof picked === "string" ? picked : picked.say)
          return
        }
        case "rule":
          throw new TemplateError(`unresolved rule <${x.name}>`)
      }
    }
    walk(node)
    const text = words.join(" ")
    if (seen.has(text)) continue
    seen.add(text)
    out.push({ text, slots })
  }
  return out
}
