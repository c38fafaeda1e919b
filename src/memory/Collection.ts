/**
 * One MNEMONIC collection in memory: records with metadata, and the three
 * layers that answer questions about them.
 *
 * - exact: "have I seen exactly this?" A Bloom filter of content keys
 *   answers most "no"s without touching the index; a "maybe" is settled by
 *   the exact key index.
 * - near-duplicate: "what is nearly the same as this?" MinHash LSH over
 *   character shingles (text) or random-hyperplane LSH (vectors) proposes
 *   candidates; each is verified with the exact Jaccard or cosine similarity
 *   before it is reported.
 * - similar: "what are the k most similar?" HNSW over the vectors (the
 *   feature-hashing embedding of a text collection's texts).
 *
 * Everything here is synchronous and in memory; MemoryLive journals each
 * change before applying it and snapshots the whole collection.
 */
import { createHash } from "node:crypto"
import { Result, Schema } from "effect"
import { BloomFilter } from "./Bloom.ts"
import { featureHashingEmbedder, type Embedder } from "./Embed.ts"
import { InvalidMemoryRequest, MemoryIndexFailed, MemoryLimitReached } from "./Errors.ts"
import { HnswIndex, type ScratchFile } from "./Hnsw.ts"
import { cosine, HyperplaneLsh, hyperplaneParameters } from "./Hyperplane.ts"
import { estimateJaccard, jaccard, lshParameters, MinHasher, MinHashLsh, normalizeText, shingles } from "./MinHash.ts"
import { type Kind, type Layer, LIMITS, type Match, type Meta, type Mode, NAME_PATTERN, type Recall, type Settings } from "./Schemas.ts"

export { LIMITS, NAME_PATTERN, Meta, Settings, SettingsOverrides } from "./Schemas.ts"
export type { Kind, Layer, Match, Mode, Recall } from "./Schemas.ts"

export const TEXT_DIMENSION = 256

export const defaultSettings = (kind: Kind, dimension: number): Settings => ({
  kind,
  dimension: kind === "text" ? TEXT_DIMENSION : dimension,
  space: "cosine",
  m: 16,
  efConstruction: 200,
  ef: 64,
  threshold: kind === "text" ? 0.8 : 0.95,
  falsePositiveRate: 0.01,
  permutations: 128,
  seed: 0x5eed
})

export interface RecordInput {
  readonly id: string
  readonly text?: string | undefined
  readonly vector?: ReadonlyArray<number> | undefined
  readonly meta?: Meta | undefined
  /** when it was remembered, ms since the epoch */
  readonly at: number
}

export interface MemoryRecord {
  readonly id: string
  readonly label: number
  readonly text: string | undefined
  /** kept for vector collections only (verification and snapshots); a text's embedding lives in HNSW */
  readonly vector: Float32Array | undefined
  readonly meta: Meta
  readonly at: number
  /** content key: SHA-256 of the normalised text or of the vector's float32 bytes */
  readonly key: string
}

export interface Query {
  readonly text?: string | undefined
  readonly vector?: ReadonlyArray<number> | undefined
  readonly k: number
  readonly mode: Mode
  /** overrides the collection's near-duplicate threshold for this query */
  readonly threshold?: number | undefined
}

type Failure = InvalidMemoryRequest | MemoryLimitReached | MemoryIndexFailed

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex").slice(0, 32)
const utf8Length = (text: string) => Buffer.byteLength(text, "utf8")

const BLOOM_INITIAL_ITEMS = 4096

export class Collection {
  private readonly records = new Map<string, MemoryRecord>()
  private readonly byLabel = new Map<number, string>()
  private readonly byKey = new Map<string, Set<string>>()
  /** MinHash signatures of a text collection's records, for the LSH layer's estimates */
  private readonly signatures = new Map<string, Uint32Array>()
  private readonly embedder: Embedder | undefined
  private readonly hasher: MinHasher | undefined
  private readonly minhash: MinHashLsh<string> | undefined
  private readonly hyperplanes: HyperplaneLsh<string> | undefined
  private bloom: BloomFilter
  private bloomCapacity: number

  private constructor(
    readonly name: string,
    readonly settings: Settings,
    private hnsw: HnswIndex,
    private nextLabel: number
  ) {
    this.bloomCapacity = BLOOM_INITIAL_ITEMS
    this.bloom = BloomFilter.create({ expectedItems: this.bloomCapacity, falsePositiveRate: settings.falsePositiveRate })
    if (settings.kind === "text") {
      this.embedder = featureHashingEmbedder({ dimension: settings.dimension, seed: settings.seed })
      this.hasher = new MinHasher({ permutations: settings.permutations, seed: settings.seed })
      this.minhash = new MinHashLsh({ threshold: settings.threshold, permutations: settings.permutations })
    } else {
      const { tables, bits } = hyperplaneParameters(settings.threshold)
      this.hyperplanes = new HyperplaneLsh({ dimension: settings.dimension, tables, bits, seed: settings.seed })
    }
  }

  static create(name: string, settings: Settings): Collection {
    return new Collection(name, settings, HnswIndex.create({ ...settings, initialCapacity: 1024 }), 0)
  }

  /** A collection around a loaded HNSW index; the caller then `restore`s each record in label order. */
  static around(name: string, settings: Settings, hnsw: HnswIndex, nextLabel: number): Collection {
    return new Collection(name, settings, hnsw, nextLabel)
  }

  get size(): number {
    return this.records.size
  }

  get labelsIssued(): number {
    return this.nextLabel
  }

  get(id: string): MemoryRecord | undefined {
    return this.records.get(id)
  }

  all(): IterableIterator<MemoryRecord> {
    return this.records.values()
  }

  /** Checks a record against this collection without changing anything. */
  validate(input: RecordInput): Result.Result<void, InvalidMemoryRequest | MemoryLimitReached> {
    const invalid = (reason: string) => Result.fail(new InvalidMemoryRequest({ collection: this.name, reason }))
    const idProblem = checkId(input.id)
    if (idProblem !== undefined) return invalid(idProblem)
    if (!this.records.has(input.id) && this.records.size >= LIMITS.records) {
      return Result.fail(new MemoryLimitReached({ collection: this.name, limit: `${LIMITS.records} records` }))
    }
    if (input.meta !== undefined && utf8Length(JSON.stringify(input.meta)) > LIMITS.metaBytes) {
      return invalid(`meta is larger than ${LIMITS.metaBytes} bytes of JSON`)
    }
    return this.checkContent(input.text, input.vector, "remember")
  }

  /** Adds a record, or replaces the one with the same id. */
  upsert(input: RecordInput): Result.Result<{ readonly created: boolean }, Failure> {
    const valid = this.validate(input)
    if (Result.isFailure(valid)) return Result.fail(valid.failure)
    const vector = this.vectorOf(input)
    const previous = this.records.get(input.id)
    // Every version takes a fresh label: hnswlib cannot re-add a deleted label, and the old one is deleted below.
    const label = this.nextLabel
    const added = this.hnsw.add(label, vector, true)
    if (Result.isFailure(added)) return Result.fail(this.indexFailure(added.failure))
    this.nextLabel++
    if (previous !== undefined) this.unindex(previous)
    const record: MemoryRecord = {
      id: input.id,
      label,
      text: input.text,
      vector: this.settings.kind === "vector" ? vector : undefined,
      meta: input.meta ?? {},
      at: input.at,
      key: this.keyOf(input.text, vector)
    }
    this.index(record)
    return Result.succeed({ created: previous === undefined })
  }

  /** Re-attaches a record whose vector is already in the loaded HNSW index under `record.label`. */
  restore(record: MemoryRecord): void {
    this.index(record)
  }

  remove(id: string): boolean {
    const record = this.records.get(id)
    if (record === undefined) return false
    this.unindex(record)
    return true
  }

  recall(query: Query): Result.Result<Recall, InvalidMemoryRequest | MemoryIndexFailed> {
    const content = this.checkContent(query.text, query.vector, "recall")
    if (Result.isFailure(content)) return Result.fail(content.failure)
    const k = Math.max(1, Math.min(query.k, LIMITS.k))
    const vector = this.vectorOf(query)
    const consulted: Array<Layer> = []
    if (query.mode === "exact" || query.mode === "auto") {
      const exact = this.exact(this.keyOf(query.text, vector), k, consulted)
      if (query.mode === "exact" || exact.matches.length > 0) return Result.succeed(exact)
    }
    if (query.mode === "near-duplicate" || query.mode === "auto") {
      const near = this.nearDuplicates(query, vector, k, query.threshold ?? this.settings.threshold, consulted)
      if (query.mode === "near-duplicate" || near.matches.length > 0) return Result.succeed(near)
    }
    return this.similar(vector, k, consulted)
  }

  setEf(ef: number): void {
    this.hnsw.setEf(ef)
  }

  get ef(): number {
    return this.hnsw.ef
  }

  describe() {
    return {
      records: this.records.size,
      hnsw: { capacity: this.hnsw.capacity, ef: this.hnsw.ef, m: this.settings.m, efConstruction: this.settings.efConstruction },
      bloom: {
        bits: this.bloom.bitCount,
        hashes: this.bloom.hashCount,
        estimatedFalsePositiveRate: this.bloom.estimatedFalsePositiveRate()
      },
      lsh: this.minhash !== undefined
        ? { kind: "minhash", permutations: this.settings.permutations, ...lshParameters(this.settings.threshold, this.settings.permutations) }
        : { kind: "hyperplane", ...hyperplaneParameters(this.settings.threshold) }
    }
  }

  hnswBytes(scratch: ScratchFile): Result.Result<Uint8Array, MemoryIndexFailed> {
    return Result.mapError(this.hnsw.toBytes(scratch), (error) => this.indexFailure(error))
  }

  private exact(key: string, k: number, consulted: Array<Layer>): Recall {
    consulted.push("bloom")
    if (!this.bloom.has(key)) return { layer: "bloom", consulted, matches: [] }
    consulted.push("exact")
    const ids = [...(this.byKey.get(key) ?? [])].slice(0, k)
    return { layer: "exact", consulted, matches: ids.map((id) => this.match(id, 1, "exact")) }
  }

  private nearDuplicates(
    query: Query,
    vector: Float32Array,
    k: number,
    threshold: number,
    consulted: Array<Layer>
  ): Recall {
    consulted.push("lsh")
    const scored: Array<{ id: string; score: number; estimate: number }> = []
    if (this.minhash !== undefined && this.hasher !== undefined && query.text !== undefined) {
      const querySet = shingles(query.text)
      const querySignature = this.hasher.signature(querySet)
      for (const id of this.minhash.candidates(querySignature)) {
        const score = jaccard(querySet, shingles(this.records.get(id)!.text!))
        const estimate = estimateJaccard(querySignature, this.signatures.get(id)!)
        if (score >= threshold) scored.push({ id, score, estimate })
      }
    } else if (this.hyperplanes !== undefined) {
      for (const id of this.hyperplanes.candidates(vector)) {
        const stored = this.records.get(id)!.vector!
        const score = cosine(vector, stored)
        if (score >= threshold) scored.push({ id, score, estimate: this.hyperplanes.estimatedCosine(vector, stored) })
      }
    }
    scored.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id))
    return {
      layer: "lsh",
      consulted,
      matches: scored.slice(0, k).map(({ id, score, estimate }) => ({ ...this.match(id, score, "lsh"), estimate }))
    }
  }

  private similar(vector: Float32Array, k: number, consulted: Array<Layer>): Result.Result<Recall, MemoryIndexFailed> {
    consulted.push("hnsw")
    const found = this.hnsw.search(vector, k)
    if (Result.isFailure(found)) return Result.fail(this.indexFailure(found.failure))
    const matches = found.success.flatMap(({ label, distance }) => {
      const id = this.byLabel.get(label)
      return id === undefined ? [] : [{ ...this.match(id, this.scoreOf(distance), "hnsw"), distance }]
    })
    return Result.succeed({ layer: "hnsw", consulted, matches })
  }

  private scoreOf(distance: number): number {
    return this.settings.space === "l2" ? 1 / (1 + Math.sqrt(Math.max(0, distance))) : 1 - distance
  }

  private match(id: string, score: number, layer: Layer): Match {
    const record = this.records.get(id)!
    return { id, score, meta: record.meta, at: record.at, layer }
  }

  private checkContent(
    text: string | undefined,
    vector: ReadonlyArray<number> | undefined,
    verb: string
  ): Result.Result<void, InvalidMemoryRequest> {
    const invalid = (reason: string) => Result.fail(new InvalidMemoryRequest({ collection: this.name, reason }))
    if (this.settings.kind === "text") {
      if (vector !== undefined) return invalid(`a text collection takes "text", not "vector", to ${verb}`)
      if (text === undefined) return invalid(`"text" is required to ${verb} in a text collection`)
      if (utf8Length(text) > LIMITS.textBytes) return invalid(`text is larger than ${LIMITS.textBytes} bytes`)
      if (normalizeText(text) === "") return invalid("text is empty")
      return Result.void
    }
    if (text !== undefined) return invalid(`a vector collection of dimension ${this.settings.dimension} takes "vector", not "text", to ${verb}`)
    if (vector === undefined) return invalid(`"vector" is required to ${verb} in a vector collection`)
    if (vector.length !== this.settings.dimension) {
      return invalid(`vector has ${vector.length} numbers; this collection's dimension is ${this.settings.dimension}`)
    }
    const bad = vector.findIndex((x) => !Number.isFinite(x))
    if (bad >= 0) return invalid(`vector element ${bad} is not a finite number`)
    if (this.settings.space === "cosine" && vector.every((x) => x === 0)) {
      return invalid("a zero vector has no direction in a cosine collection")
    }
    return Result.void
  }

  private vectorOf(input: { readonly text?: string | undefined; readonly vector?: ReadonlyArray<number> | undefined }) {
    return this.embedder !== undefined ? this.embedder.embed(input.text ?? "") : Float32Array.from(input.vector ?? [])
  }

  private keyOf(text: string | undefined, vector: Float32Array): string {
    return text !== undefined
      ? sha256(normalizeText(text))
      : sha256(new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength))
  }

  private index(record: MemoryRecord): void {
    this.records.set(record.id, record)
    this.byLabel.set(record.label, record.id)
    const same = this.byKey.get(record.key)
    if (same === undefined) this.byKey.set(record.key, new Set([record.id]))
    else same.add(record.id)
    this.addToBloom(record.key)
    if (this.minhash !== undefined && this.hasher !== undefined) {
      const signature = this.hasher.signature(shingles(record.text!))
      this.signatures.set(record.id, signature)
      this.minhash.insert(record.id, signature)
    }
    this.hyperplanes?.insert(record.id, record.vector!)
    if (record.label >= this.nextLabel) this.nextLabel = record.label + 1
  }

  private unindex(record: MemoryRecord): void {
    this.records.delete(record.id)
    this.byLabel.delete(record.label)
    const same = this.byKey.get(record.key)
    same?.delete(record.id)
    if (same?.size === 0) this.byKey.delete(record.key)
    this.minhash?.remove(record.id)
    this.signatures.delete(record.id)
    this.hyperplanes?.remove(record.id)
    this.hnsw.remove(record.label)
  }

  /** A Bloom filter cannot grow: past its design size it is rebuilt four times larger from the keys. */
  private addToBloom(key: string): void {
    if (this.bloom.count >= this.bloomCapacity) {
      this.bloomCapacity *= 4
      this.bloom = BloomFilter.create({ expectedItems: this.bloomCapacity, falsePositiveRate: this.settings.falsePositiveRate })
      for (const existing of this.byKey.keys()) this.bloom.add(existing)
    }
    this.bloom.add(key)
  }

  private indexFailure(error: { readonly message: string }): MemoryIndexFailed {
    return new MemoryIndexFailed({ collection: this.name, reason: error.message })
  }
}

export const checkName = (name: string): string | undefined =>
  NAME_PATTERN.test(name)
    ? undefined
    : `invalid collection name ${JSON.stringify(name.slice(0, 80))}: use 1-64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit`

export const checkId = (id: string): string | undefined => {
  if (id.length === 0) return "id is empty"
  if (id.length > LIMITS.idLength) return `id is longer than ${LIMITS.idLength} characters`
  // biome-ignore lint: control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(id)) return "id contains control characters"
  return undefined
}
