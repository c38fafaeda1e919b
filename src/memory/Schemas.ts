/**
 * MNEMONIC's shapes as schemas: how a collection is built, what a recall
 * answers, what `stats` reports. A leaf module (it imports only effect), so
 * NEURAL's protocol and every client that decodes its replies load none of
 * the indexes, and no native code.
 */
import { Schema } from "effect"

export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/
export const LIMITS = {
  idLength: 256,
  textBytes: 64 * 1024,
  metaBytes: 16 * 1024,
  dimension: 4096,
  k: 1000,
  records: 2_000_000
} as const

export const Kind = Schema.Literals(["text", "vector"])
export type Kind = typeof Kind.Type
export const Mode = Schema.Literals(["exact", "near-duplicate", "similar", "auto"])
export type Mode = typeof Mode.Type
/** The layer that produced an answer; "bloom" means the filter proved there is no exact match. */
export const Layer = Schema.Literals(["bloom", "exact", "lsh", "hnsw"])
export type Layer = typeof Layer.Type
/** HNSW distance spaces, as hnswlib names them. */
export const SPACES = ["l2", "ip", "cosine"] as const
export const Space = Schema.Literals(SPACES)
export type Space = typeof Space.Type

const Json: Schema.Codec<unknown> = Schema.suspend(() =>
  Schema.Union([
    Schema.Null,
    Schema.Boolean,
    Schema.Finite,
    Schema.String,
    Schema.Array(Json),
    Schema.Record(Schema.String, Json)
  ])
)
export const Meta = Schema.Record(Schema.String, Json)
export type Meta = { readonly [key: string]: unknown }

const between = (low: number, high: number) => Schema.Int.check(Schema.isBetween({ minimum: low, maximum: high }))
const fraction = (low: number, high: number) =>
  Schema.Finite.check(Schema.isGreaterThan(low), Schema.isLessThanOrEqualTo(high))

/** How a collection is built; fixed at creation, except `ef`. */
export const Settings = Schema.Struct({
  kind: Kind,
  dimension: between(1, LIMITS.dimension),
  space: Space,
  /** HNSW graph degree */
  m: between(4, 64),
  efConstruction: between(10, 2000),
  /** HNSW search breadth; not stored by hnswlib, so kept here and restored on load */
  ef: between(1, 4096),
  /** near-duplicate threshold: Jaccard of shingles (text) or cosine (vector) */
  threshold: fraction(0, 1),
  /** Bloom filter false-positive target */
  falsePositiveRate: fraction(0, 0.5),
  /** MinHash permutations (text) */
  permutations: between(16, 512),
  seed: Schema.Int
})
export type Settings = typeof Settings.Type

/** What a caller may choose when creating a collection; the rest is defaulted. */
export const SettingsOverrides = Settings.mapFields((fields) => {
  const { kind: _kind, seed: _seed, ...tunable } = fields
  return Object.fromEntries(Object.entries(tunable).map(([k, v]) => [k, Schema.optionalKey(v)])) as {
    readonly [K in keyof typeof tunable]: Schema.optionalKey<(typeof tunable)[K]>
  }
})
export type SettingsOverrides = typeof SettingsOverrides.Type

export const Match = Schema.Struct({
  id: Schema.String,
  /** higher is closer: 1 for an exact match; Jaccard or cosine for a near-duplicate; for HNSW 1 - distance (cosine, ip) or 1 / (1 + L2 distance) */
  score: Schema.Finite,
  distance: Schema.optionalKey(Schema.Finite),
  /** for a near-duplicate: the LSH layer's own estimate (MinHash Jaccard or hyperplane cosine), before the exact check gave `score` */
  estimate: Schema.optionalKey(Schema.Finite),
  meta: Meta,
  at: Schema.Finite,
  layer: Layer
})
export type Match = typeof Match.Type

export const Recall = Schema.Struct({
  /** the layer whose answer this is ("bloom" proves there is no exact match) */
  layer: Layer,
  /** every layer consulted, in order */
  consulted: Schema.Array(Layer),
  matches: Schema.Array(Match)
})
export type Recall = typeof Recall.Type

export const Remembered = Schema.Struct({
  collection: Schema.String,
  id: Schema.String,
  /** false when an existing record with this id was replaced */
  created: Schema.Boolean,
  records: Schema.Int
})
export type Remembered = typeof Remembered.Type

export const StoredRecord = Schema.Struct({
  id: Schema.String,
  text: Schema.optionalKey(Schema.String),
  vector: Schema.optionalKey(Schema.Array(Schema.Finite)),
  meta: Meta,
  at: Schema.Finite
})
export type StoredRecord = typeof StoredRecord.Type

/** The indexes of a loaded collection, for `stats`. */
export const Layers = Schema.Struct({
  hnsw: Schema.Struct({ capacity: Schema.Int, ef: Schema.Int, m: Schema.Int, efConstruction: Schema.Int }),
  bloom: Schema.Struct({ bits: Schema.Int, hashes: Schema.Int, estimatedFalsePositiveRate: Schema.Finite }),
  lsh: Schema.Record(Schema.String, Schema.Union([Schema.String, Schema.Finite]))
})

export const CollectionStats = Schema.Struct({
  name: Schema.String,
  /** "ok", or why the collection's files could not be loaded */
  status: Schema.Literals(["ok", "unavailable", "not-loaded"]),
  reason: Schema.optionalKey(Schema.String),
  settings: Schema.optionalKey(Settings),
  records: Schema.optionalKey(Schema.Int),
  /** journal records written since the last snapshot */
  journalRecords: Schema.optionalKey(Schema.Int),
  layers: Schema.optionalKey(Layers)
})
export type CollectionStats = typeof CollectionStats.Type
