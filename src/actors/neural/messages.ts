/** NEURAL's protocol: MNEMONIC on the wire, and the tuning still planned. */
import { Schema } from "effect"
import { MEMORY_ERRORS } from "../../memory/Errors.ts"
import { CollectionStats, Meta, Mode, Recall, Remembered, SPACES, StoredRecord } from "../../memory/Schemas.ts"
import * as Protocol from "../../runtime/Protocol.ts"
import { Name } from "../shared/fields.ts"

const between = (low: number, high: number) => Schema.Int.check(Schema.isBetween({ minimum: low, maximum: high }))
const Fraction = Schema.Finite.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(1))
/** A collection name; MNEMONIC checks its form and says what it expects. */
const Collection = Schema.String
const Content = {
  text: Schema.optionalKey(Schema.String),
  vector: Schema.optionalKey(Schema.Array(Schema.Finite))
}

export class NoSuchRecord extends Schema.TaggedError<NoSuchRecord>()("NoSuchRecord", {
  collection: Schema.String,
  id: Schema.String
}) {
  override get message() {
    return `memory collection '${this.collection}' has no record '${this.id}'`
  }
}

export const Neural = Protocol.make("NEURAL", [
  Protocol.message("remember", {
    doc: "adds or replaces a record (text or vector, with metadata) in a collection; durable when answered",
    access: "operate",
    fields: { collection: Collection, id: Schema.String, ...Content, meta: Schema.optionalKey(Meta) },
    reply: Remembered,
    rejections: MEMORY_ERRORS
  }),
  Protocol.message("recall", {
    doc: "exact matches, near-duplicates or the k most similar records to a text or vector",
    access: "read",
    fields: {
      collection: Collection,
      ...Content,
      /** how many matches at most (default 10) */
      k: Schema.optionalKey(between(1, 1000)),
      /** default "auto": exact, then near-duplicate, then similar */
      mode: Schema.optionalKey(Mode),
      threshold: Schema.optionalKey(Fraction)
    },
    reply: Recall,
    rejections: MEMORY_ERRORS
  }),
  Protocol.message("forget", {
    doc: "removes a record",
    access: "operate",
    fields: { collection: Collection, id: Schema.String },
    reply: Schema.Struct({ forgotten: Schema.Boolean }),
    rejections: MEMORY_ERRORS
  }),
  Protocol.message("get", {
    doc: "one record by id",
    access: "read",
    fields: { collection: Collection, id: Schema.String },
    reply: StoredRecord,
    rejections: [NoSuchRecord, ...MEMORY_ERRORS]
  }),
  Protocol.message("create", {
    doc: "creates a collection with chosen index settings (a no-op that reports it when it exists with the same kind)",
    access: "operate",
    fields: {
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
    },
    reply: CollectionStats,
    rejections: MEMORY_ERRORS
  }),
  Protocol.message("tune", {
    doc: "sets a collection's HNSW search breadth (ef)",
    access: "admin",
    fields: { collection: Collection, ef: between(1, 4096) },
    reply: CollectionStats,
    rejections: MEMORY_ERRORS
  }),
  Protocol.message("stats", {
    doc: "every collection: settings, records, journal, index sizes",
    access: "read",
    reply: Schema.Struct({ collections: Schema.Array(CollectionStats) })
  }),
  Protocol.planned("suggest", {
    doc: "a value for a tunable parameter, from a bandit over past outcomes",
    access: "read",
    capability: "bandit-tuning",
    fields: { parameter: Name }
  }),
  Protocol.planned("outcome", {
    doc: "records the reward of a tried value",
    access: "operate",
    capability: "outcome-memory",
    fields: { parameter: Name, value: Schema.Finite, reward: Schema.Finite }
  }),
  Protocol.planned("parameters", {
    doc: "the tuned parameters and their current values",
    access: "read",
    capability: "bandit-tuning"
  })
])
