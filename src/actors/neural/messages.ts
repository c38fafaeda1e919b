/** NEURAL's protocol: MNEMONIC on the wire, and the bandit that tunes TENSOR's zstd level per content class. */
import { Schema } from "effect"
import { MEMORY_ERRORS } from "../../memory/Errors.ts"
import { CollectionStats, Meta, Mode, Recall, Remembered, SPACES, StoredRecord } from "../../memory/Schemas.ts"
import * as Protocol from "../../runtime/Protocol.ts"

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

/** A content class: TENSOR's detected format ("json", "log", "elf", "unknown"). */
export const ContentClass = Schema.String.check(
  Schema.isPattern(/^[a-z0-9][a-z0-9-]{0,31}$/, { expected: "a content class of up to 32 lowercase letters, digits or '-', e.g. json" })
)
const ZstdLevel = between(1, 19)
const Bytes = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

export class UnknownDecision extends Schema.TaggedError<UnknownDecision>()("UnknownDecision", {
  decision: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `decision '${this.decision}': ${this.reason}`
  }
}

const Chosen = Schema.Struct({
  level: Schema.Int,
  /** The level was tried to learn, not because it is the best known. */
  explored: Schema.Boolean,
  /** To hand back with the outcome. */
  decision: Schema.String,
  tuning: Schema.Literals(["on", "off"]),
  why: Schema.String
})

const Learned = Schema.Struct({
  learned: Schema.Boolean,
  /** log2(MiB/s × ratio); absent when unmeasurable. */
  reward: Schema.optionalKey(Schema.Finite),
  /** Why it was not learned from. */
  why: Schema.optionalKey(Schema.String),
  /** Outcomes learned for this class and level. */
  pulls: Schema.Int
})

const ArmRow = Schema.Struct({ level: Schema.Int, pulls: Schema.Int, meanReward: Schema.Finite, sd: Schema.Finite })

const ClassRow = Schema.Struct({
  class: Schema.String,
  defaultLevel: Schema.Int,
  /** The level chosen when not exploring: the best with enough outcomes, else the default. */
  bestLevel: Schema.Int,
  /** Its mean reward and outcomes; absent while nothing is trusted yet. */
  meanReward: Schema.optionalKey(Schema.Finite),
  pulls: Schema.Int,
  decisions: Schema.Int,
  explored: Schema.Int,
  outcomes: Schema.Int,
  ignored: Schema.Int,
  arms: Schema.Array(ArmRow),
  updatedAt: Schema.String
})

const TuningTable = Schema.Struct({
  knob: Schema.String,
  tuning: Schema.Literals(["on", "off"]),
  explorePercent: Schema.Finite,
  levels: Schema.Array(Schema.Int),
  reward: Schema.String,
  /** Where it is remembered, and whether the last write there worked. */
  memory: Schema.Struct({ collection: Schema.String, problem: Schema.optionalKey(Schema.String) }),
  classes: Schema.Array(ClassRow),
  decisions: Schema.Int,
  explored: Schema.Int,
  outcomes: Schema.Int
})

const TuningReset = Schema.Struct({
  confirmed: Schema.Boolean,
  /** What would be (or was) forgotten. */
  classes: Schema.Array(Schema.String),
  outcomes: Schema.Int,
  plan: Schema.String
})

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
  Protocol.message("choose", {
    doc: "the zstd level for a job of a content class (TENSOR asks before compressing when its caller fixed no level): the best level learned, an exploring one within the budget, or the default",
    access: "runtime",
    fields: {
      class: ContentClass,
      /** TENSOR's fixed level for the class: the answer when tuning is off or nothing is learned yet. */
      defaultLevel: ZstdLevel,
      /** The input's size when known: a job too small to time never explores. */
      bytes: Schema.optionalKey(Bytes)
    },
    reply: Chosen
  }),
  Protocol.message("outcome", {
    doc: "what a compression job measured (class, level, bytes in and out, seconds): learned as the reward log2(MiB/s × ratio)",
    access: "runtime",
    fields: {
      class: ContentClass,
      level: ZstdLevel,
      bytesIn: Bytes,
      bytesOut: Bytes,
      seconds: Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0)),
      /** The `decision` of the `choose` this job followed; absent when the caller fixed the level. */
      decision: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(64)))
    },
    reply: Learned,
    rejections: [UnknownDecision]
  }),
  Protocol.message("tuning", {
    doc: "the tuning table: per content class the best level, its mean reward and jobs, every level tried, decisions and explorations",
    access: "read",
    reply: TuningTable
  }),
  Protocol.message("reset-tuning", {
    doc: "plans forgetting what was learned (every class, or one); forgets it only with confirm",
    access: "admin",
    fields: { class: Schema.optionalKey(ContentClass), confirm: Schema.optionalKey(Schema.Boolean) },
    reply: TuningReset,
    rejections: MEMORY_ERRORS
  })
])
