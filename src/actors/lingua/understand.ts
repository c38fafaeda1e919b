/**
 * From a sentence to agent messages: every intent's templates are parsed
 * once (`compile`), a sentence is tokenized and matched against all of them
 * (grammar.ts), the matches ranked the way hassil ranks them, and the best
 * distinct messages returned with a confidence. When nothing matches, a
 * second pass lets a list slot take an unknown name so the answer can say
 * "no pool named 'tnak'; did you mean 'tank'?". Pure: the slot lists and the
 * schema check are given by the caller (the machine fills the lists from
 * what the NAS has and checks each message with `system.validate`).
 */
import type { AgentMessage } from "../../runtime/Agent.ts"
import {
  compareMatches,
  fold,
  hasLiteral,
  type Match,
  matchTemplate,
  type Node,
  parseTemplate,
  prepare,
  type Prepared,
  requiredWords,
  resolveRules,
  sentenceHas,
  SKIP_WORDS,
  sampleTemplate,
  type SlotList,
  tokenize,
  valueList
} from "./grammar.ts"
import { type Intent, INTENTS, RULES, type Slots, targetOf } from "./intents.ts"

export const MAX_WORDS = 40

export interface Template {
  readonly text: string
  readonly node: Node
  /** literal words every sentence of it contains */
  readonly required: ReadonlyArray<string>
  /** the template as a person reads it: the first choice of each group, slots as {name} */
  readonly example: string
}

export interface Compiled {
  readonly intents: ReadonlyArray<{ readonly intent: Intent; readonly templates: ReadonlyArray<Template> }>
}

/** Parses every template once; a template error is a programming error found when LINGUA first uses its grammar (and by the tests). */
export const compile = (intents: ReadonlyArray<Intent> = INTENTS, rules: Readonly<Record<string, string>> = RULES): Compiled => {
  const ruleNodes = new Map(Object.entries(rules).map(([name, body]) => [name, parseTemplate(body)] as const))
  return {
    intents: intents.map((intent) => ({
      intent,
      templates: intent.sentences.map((text) => {
        const node = resolveRules(parseTemplate(text), ruleNodes)
        if (!hasLiteral(node)) throw new Error(`intent ${intent.id}: template '${text}' may match a lone slot`)
        // Sentences lose their skip words before matching: a template holding one could never match.
        const words = ` ${fold(text).replace(/[^\p{L}\p{N}]+/gu, " ")} `
        const skip = SKIP_WORDS.find((s) => words.includes(` ${s.join(" ")} `))
        if (skip !== undefined) throw new Error(`intent ${intent.id}: template '${text}' holds the skip words '${skip.join(" ")}'`)
        return { text, node, required: requiredWords(node), example: sampleTemplate(node, (list) => `{${list}}`, 1, "plain")[0]?.text ?? text }
      })
    }))
  }
}

// ---- slot lists --------------------------------------------------------------------------------

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
const shaped = (pattern: RegExp, transform: (raw: string) => string = (raw) => raw) => (raw: string): string | undefined =>
  pattern.test(raw) ? transform(raw) : undefined

/** The shape a name must have when its list could not be read (then any such word is taken, as a free slot). */
export const SHAPES: Readonly<Record<string, (raw: string) => string | undefined>> = {
  pool: shaped(/^[A-Za-z][A-Za-z0-9_.:-]{0,254}$/),
  dataset: shaped(/^[A-Za-z][A-Za-z0-9_.:-]*(\/[A-Za-z0-9_.:-]+)*$/),
  disk: shaped(/^(\/dev\/)?([a-z][a-z0-9]{1,15}|disk\/by-id\/[A-Za-z0-9_.:-]+)$/, (raw) => raw.startsWith("/dev/disk/") ? raw : raw.replace(/^\/dev\//, "")),
  share: shaped(NAME, (raw) => `smb:${raw}`),
  peer: shaped(NAME),
  interface: shaped(/^[A-Za-z][A-Za-z0-9_.-]{0,14}$/),
  schedule: shaped(NAME),
  incident: shaped(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/),
  key: shaped(/^[0-9a-fA-F]{16}$/, (raw) => raw.toLowerCase()),
  agent: shaped(/^[A-Za-z][A-Za-z0-9_-]*$/, (raw) => raw.toUpperCase())
}

const NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]

/** Slots that take one word of a shape rather than a name from a list. */
export const OPEN_LISTS: Readonly<Record<string, SlotList>> = {
  path: { kind: "open", accept: (raw) => (/^\/[^\0]{0,4095}$/.test(raw) && !raw.split("/").includes("..") ? raw : undefined) },
  number: {
    kind: "open",
    accept: (raw) => {
      if (/^[0-9]{1,5}$/.test(raw) && Number(raw) >= 1) return String(Number(raw))
      const i = NUMBER_WORDS.indexOf(fold(raw))
      return i >= 1 ? String(i) : undefined
    }
  },
  newname: { kind: "open", accept: shaped(NAME) },
  newdataset: { kind: "open", accept: shaped(/^[A-Za-z][A-Za-z0-9_.:-]*(\/[A-Za-z0-9_.:-]+)+$/) },
  target: { kind: "open", accept: shaped(/^[A-Za-z][A-Za-z0-9_.:-]*(\/[A-Za-z0-9_.:-]+)*$/) },
  label: { kind: "open", accept: shaped(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/) },
  metric: { kind: "open", accept: shaped(/^[a-zA-Z_:][a-zA-Z0-9_:]*_[a-zA-Z0-9_:]*$/) },
  code: { kind: "open", accept: (raw) => (/^[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)+$/.test(raw) ? raw.toUpperCase() : undefined) }
}

/** Fixed vocabularies. */
export const FIXED_LISTS: Readonly<Record<string, SlotList>> = {
  zcodec: valueList("ZFS compression", ["lz4", "zstd", "gzip", "zle"]),
  codec: valueList("codec", ["zstd", "brotli", "gzip", "store"]),
  protocol: valueList("share protocol", ["smb", "nfs"], {
    say: (v) => (v === "smb" ? ["smb", "samba", "windows", "cifs"] : ["nfs"])
  }),
  reportkind: valueList("report kind", ["health", "capacity", "security", "activity"])
}

/** The lists filled from the NAS: each names what it holds and whether its source answered. */
export interface NasLists {
  readonly pool?: ReadonlyArray<string> | undefined
  readonly dataset?: ReadonlyArray<string> | undefined
  /** "smb:photos" */
  readonly share?: ReadonlyArray<string> | undefined
  readonly disk?: ReadonlyArray<string> | undefined
  readonly peer?: ReadonlyArray<string> | undefined
  readonly interface?: ReadonlyArray<string> | undefined
  readonly schedule?: ReadonlyArray<string> | undefined
  readonly incident?: ReadonlyArray<string> | undefined
  readonly key?: ReadonlyArray<string> | undefined
  readonly agent?: ReadonlyArray<string> | undefined
}

export const NAS_LIST_NAMES = ["pool", "dataset", "share", "disk", "peer", "interface", "schedule", "incident", "key", "agent"] as const
export type NasListName = (typeof NAS_LIST_NAMES)[number]

const NOUNS: Readonly<Record<NasListName, string>> = {
  pool: "pool",
  dataset: "dataset",
  share: "share",
  disk: "disk",
  peer: "peer",
  interface: "network interface",
  schedule: "schedule",
  incident: "incident",
  key: "key",
  agent: "agent"
}

const SAY: Partial<Record<NasListName, (value: string) => ReadonlyArray<string>>> = {
  share: (value) => [value.slice(value.indexOf(":") + 1)],
  disk: (value) => (value.startsWith("/") ? [value] : [value, `/dev/${value}`])
}

/** Builds the slot lists: an absent NAS list (its source did not answer) takes any word of the right shape. */
export const slotLists = (nas: NasLists): ((name: string) => SlotList | undefined) => {
  const lists = new Map<string, SlotList>(Object.entries({ ...OPEN_LISTS, ...FIXED_LISTS }))
  for (const name of NAS_LIST_NAMES) {
    const values = nas[name]
    const say = SAY[name]
    lists.set(
      name,
      valueList(NOUNS[name], values ?? [], {
        known: values !== undefined,
        shape: SHAPES[name]!,
        ...(say === undefined ? {} : { say })
      })
    )
  }
  return (name) => lists.get(name)
}

// ---- understanding -------------------------------------------------------------------------------

export interface Understood {
  readonly intent: string
  readonly agent: string
  readonly message: AgentMessage
  readonly confidence: number
  readonly changes: boolean
  readonly confirmField: boolean
  readonly match: Match
}

export type Outcome =
  | { readonly _tag: "Understood"; readonly best: Understood; readonly alternatives: ReadonlyArray<Understood> }
  | { readonly _tag: "UnknownName"; readonly noun: string; readonly said: string; readonly near: ReadonlyArray<string>; readonly example: string }
  | { readonly _tag: "NotUnderstood"; readonly reason: string; readonly closest?: string | undefined }
  | { readonly _tag: "Ambiguous"; readonly candidates: ReadonlyArray<Understood> }
  | { readonly _tag: "Invalid"; readonly agent: string; readonly message: AgentMessage; readonly reason: string }

export interface UnderstandOptions {
  readonly lists: (name: string) => SlotList | undefined
  /** undefined when the target's schema takes the message; else why not */
  readonly validate?: (agent: string, message: AgentMessage) => string | undefined
  readonly maxAlternatives?: number
}

const confidenceOf = (m: Match): number => Math.max(0.05, Math.round((1 - 0.12 * m.edits - 0.05 * m.free) * 100) / 100)

const keyOf = (u: { readonly agent: string; readonly message: AgentMessage }): string => `${u.agent} ${JSON.stringify(u.message)}`

interface Candidate {
  readonly intent: Intent
  readonly template: Template
  readonly match: Match
}

const collect = (compiled: Compiled, sentence: Prepared, options: UnderstandOptions, allowUnknown: boolean): Array<Candidate> => {
  const out: Array<Candidate> = []
  for (const { intent, templates } of compiled.intents) {
    for (const t of templates) {
      if (!t.required.every((w) => sentenceHas(sentence, w))) continue
      for (const match of matchTemplate(t.node, sentence, { lists: options.lists, allowUnknown })) {
        out.push({ intent, template: t, match })
      }
    }
  }
  return out.sort((a, b) => compareMatches(a.match, b.match))
}

const slotsOf = (match: Match): Record<string, string> => Object.fromEntries(match.slots.map((s) => [s.name, s.value]))

/** The sentence's meaning: the best distinct messages, or why there is none. */
export const understand = (compiled: Compiled, text: string, options: UnderstandOptions): Outcome => {
  const tokens = tokenize(text)
  if (tokens.length === 0) return { _tag: "NotUnderstood", reason: "the sentence has no words" }
  if (tokens.length > MAX_WORDS) return { _tag: "NotUnderstood", reason: `the sentence is too long (${tokens.length} words; at most ${MAX_WORDS})` }
  const sentence = prepare(tokens)
  const candidates = collect(compiled, sentence, options, false)
  if (candidates.length === 0) return explain(compiled, sentence, options)

  const understood: Array<Understood> = []
  const seen = new Set<string>()
  let invalid: Outcome | undefined
  for (const c of candidates) {
    const slots = slotsOf(c.match)
    const agent = targetOf(c.intent, slots)
    const message = c.intent.build(slots)
    const u: Understood = {
      intent: c.intent.id,
      agent,
      message,
      confidence: confidenceOf(c.match),
      changes: c.intent.changes,
      confirmField: c.intent.confirmField === true,
      match: c.match
    }
    const key = keyOf(u)
    if (seen.has(key)) continue
    seen.add(key)
    const refused = options.validate?.(agent, message)
    if (refused !== undefined) {
      invalid ??= { _tag: "Invalid", agent, message, reason: refused }
      continue
    }
    understood.push(u)
    if (understood.length > (options.maxAlternatives ?? 4)) break
  }
  if (understood.length === 0) return invalid!
  const [best, second] = understood
  if (second !== undefined && compareMatches(best!.match, second.match) === 0) {
    return { _tag: "Ambiguous", candidates: understood.filter((u) => compareMatches(u.match, best!.match) === 0) }
  }
  // A close runner-up lowers the confidence: the sentence could have meant it.
  const margin = second === undefined ? 1 : Math.min(1, 0.7 + 0.1 * (compareKeyGap(best!.match, second.match)))
  return {
    _tag: "Understood",
    best: { ...best!, confidence: Math.round(best!.confidence * margin * 100) / 100 },
    alternatives: understood.slice(1)
  }
}

const compareKeyGap = (a: Match, b: Match): number => (b.edits - a.edits) + (b.free - a.free) + (b.literal - a.literal) / 10

/** Nothing matched: an unknown name, or the closest phrasing LINGUA knows. */
const explain = (compiled: Compiled, sentence: Prepared, options: UnderstandOptions): Outcome => {
  const withUnknown = collect(compiled, sentence, options, true)
    .filter((c) => c.match.unknown === 1)
    .sort((a, b) => {
      const nearA = a.match.slots.some((s) => (s.unknown?.near.length ?? 0) > 0) ? 0 : 1
      const nearB = b.match.slots.some((s) => (s.unknown?.near.length ?? 0) > 0) ? 0 : 1
      return nearA - nearB || compareMatches(a.match, b.match)
    })
  const top = withUnknown[0]
  if (top !== undefined) {
    const slot = top.match.slots.find((s) => s.unknown !== undefined)!
    return { _tag: "UnknownName", ...slot.unknown!, example: top.template.example }
  }
  return { _tag: "NotUnderstood", reason: "no phrasing I know matches it", closest: closest(compiled, sentence.tokens.map((t) => t.w)) }
}

/** The example sharing the most words with the sentence. */
const closest = (compiled: Compiled, words: ReadonlyArray<string>): string | undefined => {
  const said = new Set(words)
  let best: { readonly text: string; readonly score: number } | undefined
  for (const { templates } of compiled.intents) {
    for (const t of templates) {
      const example = t.example
      const ws = example.split(" ").filter((w) => !w.startsWith("{"))
      const common = ws.filter((w) => said.has(w)).length
      const score = common / (ws.length + said.size)
      if (common > 0 && (best === undefined || score > best.score)) best = { text: example, score }
    }
  }
  return best?.text
}

/** Examples per intent, for `phrases`. */
export const phrasesOf = (compiled: Compiled) =>
  compiled.intents.map(({ intent, templates }) => ({
    intent: intent.id,
    agent: intent.agent,
    changesState: intent.changes,
    templates: templates.map((t) => t.text),
    examples: templates.map((t) => t.example)
  }))

// ---- what `run` sends ---------------------------------------------------------------------------

/**
 * Messages whose access is operate or admin but which only read: LINGUA sends
 * them without a confirmation. Everything else above read access is sent only
 * with confirm — or, for a plan-then-confirm message, without `confirm: true`
 * (its answer is then the plan, and nothing changes).
 */
export const READS_ABOVE_READ_ACCESS: ReadonlyArray<string> = [
  "LATTICE scrub status",
  "ATLAS usage",
  "TENSOR estimate",
  "CIPHER inspect",
  "FORTRESS audit",
  "FORTRESS findings"
]

export const readsOnly = (agent: string, message: AgentMessage): boolean =>
  READS_ABOVE_READ_ACCESS.includes(`${agent} ${message.type}`) ||
  READS_ABOVE_READ_ACCESS.includes(`${agent} ${message.type} ${String(message.action)}`)

export type Dispatch =
  | { readonly send: false; readonly reason: string }
  | { readonly send: true; readonly message: AgentMessage }

/**
 * What `run` does with a meaning: a state-changing one is sent only with
 * confirm (with `confirm: true` added for a plan-then-confirm target), anything
 * else as it is. LINGUA never adds `confirm: true` unless the request said so.
 */
export const dispatch = (u: Pick<Understood, "agent" | "message" | "changes" | "confirmField">, confirm: boolean): Dispatch => {
  if (u.changes && !confirm) {
    return { send: false, reason: `this changes the NAS: nothing was sent; ask again with confirm: true to send ${u.agent} ${JSON.stringify(u.message)}` }
  }
  return { send: true, message: confirm && u.changes && u.confirmField ? { ...u.message, confirm: true } : u.message }
}

// ---- the local model's fallback -----------------------------------------------------------------

/** What the local model is told it may answer: every intent's message shape and an example sentence. */
export const llmCatalogue = (compiled: Compiled): string =>
  compiled.intents
    .map(({ intent, templates }) => {
      const placeholders = new Proxy({}, { get: (_, key) => (key === "share" ? "smb:{share}" : `{${String(key)}}`) }) as Slots
      const message = intent.build(placeholders)
      return `${intent.agent === "*" ? "{agent}" : intent.agent} ${JSON.stringify(message)}  e.g. "${templates[0]!.example}"`
    })
    .join("\n")

/**
 * The model's answer as a candidate message: the first JSON object in its
 * text, `{"agent": "LATTICE", "message": {"type": ...}}`; undefined with the
 * reason when it is not one. A `confirm` it added is dropped: only the
 * caller's `run` confirms.
 */
export const fromModel = (text: string): { readonly agent: string; readonly message: AgentMessage } | string => {
  const start = text.indexOf("{")
  const end = text.lastIndexOf("}")
  if (start < 0 || end < start) return "its answer holds no JSON object"
  let value: unknown
  try {
    value = JSON.parse(text.slice(start, end + 1))
  } catch {
    return "its answer is not valid JSON"
  }
  if (typeof value !== "object" || value === null) return "its answer is not an object"
  const { agent, message } = value as { agent?: unknown; message?: unknown }
  if (agent === null || agent === undefined) return "it found no message for the sentence"
  if (typeof agent !== "string" || !/^[A-Z][A-Z0-9_-]*$/.test(agent.toUpperCase())) return "its answer names no agent"
  if (typeof message !== "object" || message === null || typeof (message as { type?: unknown }).type !== "string") return "its answer has no message with a type"
  const { confirm: _dropped, ...rest } = message as AgentMessage
  return { agent: agent.toUpperCase(), message: rest as AgentMessage }
}
