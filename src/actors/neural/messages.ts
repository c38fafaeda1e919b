import { Schema } from "effect"
import { Meta } from "../../memory/Collection.ts"
import { SPACES } from "../../memory/Hnsw.ts"
import { Name } from "../shared/fields.ts"

const between = (low: number, high: number) => Schema.Int.check(Schema.isBetween({ minimum: low, maximum: high }))
const Fraction = Schema.Finite.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(1))
/** A collection name; MNEMONIC checks its form and says what it expects. */
const Collection = Schema.String
const Content = {
  text: Schema.optionalKey(Schema.String),
  vector: Schema.optionalKey(Schema.Array(Schema.Finite))
}

/** MNEMONIC on the wire: the agents' shared memory. */
export const MemoryMessages = [
  Schema.Struct({ type: Schema.Literal("remember"), collection: Collection, id: Schema.String, ...Content, meta: Schema.optionalKey(Meta) }),
  Schema.Struct({
    type: Schema.Literal("recall"),
    collection: Collection,
    ...Content,
    /** how many matches at most (default 10) */
    k: Schema.optionalKey(between(1, 1000)),
    /** default "auto": exact, then near-duplicate, then similar */
    mode: Schema.optionalKey(Schema.Literals(["exact", "near-duplicate", "similar", "auto"])),
    threshold: Schema.optionalKey(Fraction)
  }),
  Schema.Struct({ type: Schema.Literal("forget"), collection: Collection, id: Schema.String }),
  Schema.Struct({ type: Schema.Literal("get"), collection: Collection, id: Schema.String }),
  Schema.Struct({
    type: Schema.Literal("create"),
    collection: Collection,
    kind: Schema.Literals(["text", "vector"]),
    dimension: Schema.optionalKey(between(1, 4096)),
    space: Schema.optionalKey(Schema.Literals(SPACES)),
    m: Schema.optionalKey(between(4, 64)),
    efConstruction: Schema.optionalKey(between(10, 2000)),
    ef: Schema.optionalKey(between(1, 4096)),
    threshold: Schema.optionalKey(Fraction),
    falsePositiveRate: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(0.5))),
    permutations: Schema.optionalKey(between(16, 512))
  }),
  Schema.Struct({ type: Schema.Literal("tune"), collection: Collection, ef: between(1, 4096) }),
  Schema.Struct({ type: Schema.Literal("stats") })
] as const

export const NeuralMessages = Schema.Union([
  ...MemoryMessages,
  Schema.Struct({ type: Schema.Literal("suggest"), parameter: Name }),
  Schema.Struct({ type: Schema.Literal("outcome"), parameter: Name, value: Schema.Finite, reward: Schema.Finite }),
  Schema.Struct({ type: Schema.Literal("parameters") })
])
export type NeuralMessage = typeof NeuralMessages.Type
export type MemoryMessage = Extract<NeuralMessage, { readonly type: (typeof MemoryMessages)[number]["Type"]["type"] }>
