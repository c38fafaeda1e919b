/**
 * The Memory service over a Storage: collections are loaded on first use
 * (snapshot, then the journal written since it), every change is journaled
 * durably before it is applied, and a collection is snapshotted when its
 * journal has grown to half its size (at least SNAPSHOT_EVERY records), and
 * on flush.
 *
 * Snapshot header: `{ settings, seq, nextLabel, records: [...] }`, sections
 * `hnsw` (hnswlib's file) and, for vector collections, `vectors` (float32,
 * records in header order). Journal records: `{seq, op: "create", settings}`,
 * `{seq, op: "upsert", id, text?, vector?, meta, at}`, `{seq, op: "delete", id}`,
 * `{seq, op: "ef", ef}`. A snapshot covers every journal record up to its
 * `seq`, so a crash between writing a snapshot and emptying the journal only
 * replays records already in it, which are skipped.
 */
import { Clock, Effect, Exit, Option, Result, Schema, Semaphore } from "effect"
import {
  checkName,
  Collection,
  defaultSettings,
  type Kind,
  type MemoryRecord,
  Meta,
  Settings,
  type SettingsOverrides
} from "./Collection.ts"
import type { FileError } from "../adapters/fs/Files.ts"
import { CollectionUnavailable, InvalidMemoryRequest, type MemoryError } from "./Errors.ts"
import { HnswIndex, type ScratchFile } from "./Hnsw.ts"
import type { CollectionStats, MemoryShape, StoredRecord } from "./Memory.ts"

export const SNAPSHOT_EVERY = 1024

export interface SnapshotData {
  readonly header: unknown
  readonly sections: ReadonlyMap<string, Uint8Array>
}

export interface Loaded {
  readonly snapshot: Option.Option<SnapshotData>
  readonly journal: ReadonlyArray<unknown>
  /** a torn final journal record (a crash mid-append), already cut away by the storage */
  readonly tornTail: Option.Option<string>
}

/** A collection's files exist but cannot be used (corrupt, a newer format): it stays unavailable until moved aside. */
export class StoredCollectionUnusable extends Schema.TaggedError<StoredCollectionUnusable>()("StoredCollectionUnusable", {
  reason: Schema.String
}) {}

/** Where collections live: files under the state directory (MemoryLive) or a Map (MemoryTest). */
export interface Storage {
  readonly list: Effect.Effect<ReadonlyArray<string>, FileError>
  readonly load: (name: string) => Effect.Effect<Loaded, FileError | StoredCollectionUnusable>
  readonly append: (name: string, records: ReadonlyArray<unknown>) => Effect.Effect<void, FileError | StoredCollectionUnusable>
  /** Replaces the snapshot atomically, then empties the journal. */
  readonly snapshot: (
    name: string,
    snapshot: { readonly header: unknown; readonly sections: ReadonlyArray<{ readonly name: string; readonly bytes: Uint8Array }> }
  ) => Effect.Effect<void, FileError | StoredCollectionUnusable>
  /** Where hnswlib saves and loads an index (it works only through paths). */
  readonly scratch: ScratchFile
}

const SnapshotRecord = Schema.Struct({
  id: Schema.String,
  label: Schema.Int,
  text: Schema.optionalKey(Schema.String),
  meta: Meta,
  at: Schema.Finite,
  key: Schema.String
})
const SnapshotHeader = Schema.Struct({
  settings: Settings,
  seq: Schema.Int,
  nextLabel: Schema.Int,
  records: Schema.Array(SnapshotRecord)
})
const JournalRecord = Schema.Union([
  Schema.Struct({ seq: Schema.Int, op: Schema.Literal("create"), settings: Settings }),
  Schema.Struct({
    seq: Schema.Int,
    op: Schema.Literal("upsert"),
    id: Schema.String,
    text: Schema.optionalKey(Schema.String),
    vector: Schema.optionalKey(Schema.Array(Schema.Finite)),
    meta: Meta,
    at: Schema.Finite
  }),
  Schema.Struct({ seq: Schema.Int, op: Schema.Literal("delete"), id: Schema.String }),
  Schema.Struct({ seq: Schema.Int, op: Schema.Literal("ef"), ef: Schema.Int })
])
type JournalRecord = typeof JournalRecord.Type
const decodeHeader = Schema.decodeUnknownExit(SnapshotHeader)
const decodeJournalRecord = Schema.decodeUnknownExit(JournalRecord)
const decodeOverrides = Schema.decodeUnknownExit(Settings)

interface Open {
  readonly _tag: "Open"
  readonly collection: Collection
  seq: number
  journalRecords: number
  /** false until its creation is journaled with its first change: a refused first request leaves nothing behind */
  journaled: boolean
}
interface Broken {
  readonly _tag: "Broken"
  readonly reason: string
}
type Slot = Open | Broken

const summary = (name: string, slot: Slot | undefined): CollectionStats => {
  if (slot === undefined) return { name, status: "not-loaded" }
  if (slot._tag === "Broken") return { name, status: "unavailable", reason: slot.reason }
  const { records, ...layers } = slot.collection.describe()
  const settings = { ...slot.collection.settings, ef: slot.collection.ef }
  return { name, status: "ok", settings, records, journalRecords: slot.journalRecords, layers }
}

export interface StoreOptions {
  /** told of a torn journal tail or a journal record that no longer applies */
  readonly warn: (message: string) => Effect.Effect<void>
}

export const makeStore = (storage: Storage, options: StoreOptions): Effect.Effect<MemoryShape> =>
  Effect.gen(function*() {
    const slots = new Map<string, Slot>()
    const lock = yield* Semaphore.make(1)
    const serialized = <A, E>(effect: Effect.Effect<A, E>) => lock.withPermit(effect)

    /** Files found unusable while writing (a journal damaged since it was loaded) make the collection unavailable. */
    const unavailableAs = (name: string) => (error: FileError | StoredCollectionUnusable) =>
      error._tag === "StoredCollectionUnusable" ? new CollectionUnavailable({ collection: name, reason: error.reason }) : error
    const invalid = (name: string, reason: string) => new InvalidMemoryRequest({ collection: name, reason })

    const restoreSnapshot = (name: string, data: SnapshotData): Result.Result<Open, string> => {
      const header = decodeHeader(data.header)
      if (Exit.isFailure(header)) return Result.fail("the snapshot header is not a memory collection's")
      const { settings, seq, nextLabel, records } = header.value
      const hnswBytes = data.sections.get("hnsw")
      if (hnswBytes === undefined) return Result.fail("the snapshot has no hnsw section")
      const vectors = data.sections.get("vectors")
      if (settings.kind === "vector" && (vectors === undefined || vectors.byteLength !== records.length * settings.dimension * 4)) {
        return Result.fail(`the snapshot's vectors section does not hold ${records.length} x ${settings.dimension} floats`)
      }
      const hnsw = HnswIndex.fromBytes({ ...settings, initialCapacity: 0 }, hnswBytes, records.length, storage.scratch)
      if (Result.isFailure(hnsw)) return Result.fail(hnsw.failure.message)
      const collection = Collection.around(name, settings, hnsw.success, nextLabel)
      const floats = vectors === undefined
        ? undefined
        : new Float32Array(vectors.buffer.slice(vectors.byteOffset, vectors.byteOffset + vectors.byteLength))
      records.forEach((record, i) =>
        collection.restore({
          id: record.id,
          label: record.label,
          text: record.text,
          vector: floats?.subarray(i * settings.dimension, (i + 1) * settings.dimension),
          meta: record.meta,
          at: record.at,
          key: record.key
        })
      )
      return Result.succeed({ _tag: "Open", collection, seq, journalRecords: 0, journaled: true })
    }

    /** Applies one journal record; a record the collection refuses is reported, not fatal. */
    const apply = (open: Open, record: JournalRecord): Result.Result<void, string> => {
      const { collection } = open
      switch (record.op) {
        case "create":
          return Result.void
        case "upsert": {
          const done = collection.upsert(record)
          return Result.isFailure(done) ? Result.fail(done.failure.message) : Result.void
        }
        case "delete":
          collection.remove(record.id)
          return Result.void
        case "ef":
          collection.setEf(record.ef)
          return Result.void
      }
    }

    const load = (name: string): Effect.Effect<Slot, FileError | StoredCollectionUnusable> =>
      Effect.gen(function*() {
        const loaded = yield* storage.load(name)
        if (Option.isSome(loaded.tornTail)) {
          yield* options.warn(`memory collection '${name}': ${loaded.tornTail.value}; the change it held was never acknowledged and is dropped`)
        }
        const decoded: Array<JournalRecord> = []
        for (const [i, raw] of loaded.journal.entries()) {
          const record = decodeJournalRecord(raw)
          if (Exit.isFailure(record)) return { _tag: "Broken", reason: `journal record ${i + 1} is not a memory operation` } as const
          decoded.push(record.value)
        }
        let open: Open
        if (Option.isSome(loaded.snapshot)) {
          const restored = restoreSnapshot(name, loaded.snapshot.value)
          if (Result.isFailure(restored)) return { _tag: "Broken", reason: restored.failure } as const
          open = restored.success
        } else {
          const first = decoded[0]
          if (first === undefined || first.op !== "create") {
            return { _tag: "Broken", reason: "the journal does not start by creating the collection, and there is no snapshot" } as const
          }
          open = { _tag: "Open", collection: Collection.create(name, first.settings), seq: first.seq, journalRecords: 1, journaled: true }
        }
        for (const record of decoded) {
          if (record.seq <= open.seq) continue
          const applied = apply(open, record)
          if (Result.isFailure(applied)) {
            yield* options.warn(`memory collection '${name}': journal record ${record.seq} no longer applies (${applied.failure}); skipped`)
          }
          open.seq = record.seq
          open.journalRecords++
        }
        return open
      })

    /**
     * The collection, loading it on first use; `create` makes a missing one
     * with those settings, which exists once `commit` has journaled it.
     */
    const slotFor = (name: string, create: Settings | undefined): Effect.Effect<Open, MemoryError> =>
      Effect.gen(function*() {
        const problem = checkName(name)
        if (problem !== undefined) return yield* Effect.fail(invalid(name, problem))
        let slot = slots.get(name)
        if (slot === undefined) {
          const names = yield* storage.list
          if (names.includes(name)) {
            slot = yield* load(name).pipe(
              Effect.catchTag("StoredCollectionUnusable", (unusable) => Effect.succeed<Slot>({ _tag: "Broken", reason: unusable.reason }))
            )
            slots.set(name, slot)
          }
        }
        if (slot?._tag === "Broken") return yield* Effect.fail(new CollectionUnavailable({ collection: name, reason: `${slot.reason} (move its files aside to start it afresh)` }))
        if (slot !== undefined) return slot
        if (create === undefined) {
          return yield* Effect.fail(invalid(name, "no such collection; remembering a first record creates it"))
        }
        return { _tag: "Open", collection: Collection.create(name, create), seq: 0, journalRecords: 0, journaled: false }
      })

    const snapshotOf = (open: Open) =>
      Effect.gen(function*() {
        const { collection } = open
        const hnsw = yield* Effect.fromResult(collection.hnswBytes(storage.scratch))
        const records = [...collection.all()]
        const sections = [{ name: "hnsw", bytes: hnsw }]
        if (collection.settings.kind === "vector") {
          const floats = new Float32Array(records.length * collection.settings.dimension)
          records.forEach((record, i) => floats.set(record.vector!, i * collection.settings.dimension))
          sections.push({ name: "vectors", bytes: new Uint8Array(floats.buffer) })
        }
        const header = {
          settings: { ...collection.settings, ef: collection.ef },
          seq: open.seq,
          nextLabel: collection.labelsIssued,
          records: records.map(({ id, label, text, meta, at, key }) => (text === undefined ? { id, label, meta, at, key } : { id, label, text, meta, at, key }))
        }
        yield* storage.snapshot(collection.name, { header, sections }).pipe(Effect.mapError(unavailableAs(collection.name)))
        open.journalRecords = 0
      })

    /**
     * Journals `op` durably (after the collection's creation, for a new one),
     * applies it, and snapshots when the journal has grown enough.
     */
    const commit = <A>(open: Open, op: Record<string, unknown> | undefined, applyIt: () => A) =>
      Effect.gen(function*() {
        const { name, settings } = open.collection
        const records = [
          ...(open.journaled ? [] : [{ op: "create", settings }]),
          ...(op === undefined ? [] : [op])
        ].map((record, i) => ({ seq: open.seq + 1 + i, ...record }))
        yield* storage.append(name, records).pipe(Effect.mapError(unavailableAs(name)))
        open.seq += records.length
        open.journalRecords += records.length
        if (!open.journaled) {
          open.journaled = true
          slots.set(name, open)
        }
        const result = applyIt()
        if (open.journalRecords >= Math.max(SNAPSHOT_EVERY, open.collection.size / 2)) yield* snapshotOf(open)
        return result
      })

    const settingsFor = (name: string, kind: Kind, dimension: number, overrides: SettingsOverrides) => {
      const settings = decodeOverrides({ ...defaultSettings(kind, dimension), ...overrides })
      return Exit.isSuccess(settings)
        ? Effect.succeed(settings.value)
        : Effect.fail(invalid(name, `invalid settings: ${String(settings.cause)}`))
    }

    const create: MemoryShape["create"] = (name, kind, overrides) =>
      serialized(Effect.gen(function*() {
        const settings = yield* settingsFor(name, kind, overrides.dimension ?? 1, overrides)
        if (kind === "vector" && overrides.dimension === undefined) {
          return yield* Effect.fail(invalid(name, "a vector collection needs a dimension"))
        }
        const open = yield* slotFor(name, settings)
        if (open.collection.settings.kind !== kind) {
          return yield* Effect.fail(invalid(name, `already exists as a ${open.collection.settings.kind} collection`))
        }
        if (!open.journaled) yield* commit(open, undefined, () => undefined)
        return summary(name, open)
      }))

    const remember: MemoryShape["remember"] = (input) =>
      serialized(Effect.gen(function*() {
        const kind: Kind = input.vector !== undefined ? "vector" : "text"
        const defaults = defaultSettings(kind, input.vector?.length ?? 1)
        const open = yield* slotFor(input.collection, defaults)
        const at = yield* Clock.currentTimeMillis
        const record = { id: input.id, text: input.text, vector: input.vector, meta: input.meta, at }
        yield* Effect.fromResult(open.collection.validate(record))
        const created = !open.collection.get(input.id)
        const applied = yield* commit(open, { op: "upsert", ...withoutUndefined(record), meta: input.meta ?? {} }, () => open.collection.upsert(record))
        yield* Effect.fromResult(applied)
        return { collection: input.collection, id: input.id, created, records: open.collection.size }
      }))

    const recall: MemoryShape["recall"] = (name, query) =>
      serialized(Effect.flatMap(slotFor(name, undefined), (open) => Effect.fromResult(open.collection.recall(query))))

    const forget: MemoryShape["forget"] = (name, id) =>
      serialized(Effect.gen(function*() {
        const open = yield* slotFor(name, undefined)
        if (open.collection.get(id) === undefined) return { forgotten: false }
        return yield* commit(open, { op: "delete", id }, () => ({ forgotten: open.collection.remove(id) }))
      }))

    const get: MemoryShape["get"] = (name, id) =>
      serialized(Effect.map(slotFor(name, undefined), (open) => Option.map(Option.fromUndefinedOr(open.collection.get(id)), stored)))

    const tune: MemoryShape["tune"] = (name, ef) =>
      serialized(Effect.gen(function*() {
        const open = yield* slotFor(name, undefined)
        if (!Number.isInteger(ef) || ef < 1 || ef > 4096) return yield* Effect.fail(invalid(name, `ef must be an integer from 1 to 4096, got ${ef}`))
        yield* commit(open, { op: "ef", ef }, () => open.collection.setEf(ef))
        return summary(name, open)
      }))

    const stats: MemoryShape["stats"] = serialized(
      Effect.map(
        Effect.orElseSucceed(storage.list, () => [] as ReadonlyArray<string>),
        (names) => [...new Set([...names, ...slots.keys()])].sort().map((name) => summary(name, slots.get(name)))
      )
    )

    const flush: MemoryShape["flush"] = serialized(
      Effect.suspend(() =>
        Effect.forEach(
          [...slots.values()].filter((slot): slot is Open => slot._tag === "Open" && slot.journalRecords > 0),
          snapshotOf,
          { discard: true }
        )
      )
    )

    return { create, remember, recall, forget, get, tune, stats, flush }
  })

const stored = (record: MemoryRecord): StoredRecord => ({
  id: record.id,
  ...(record.text !== undefined ? { text: record.text } : {}),
  ...(record.vector !== undefined ? { vector: Array.from(record.vector) } : {}),
  meta: record.meta,
  at: record.at
})

const withoutUndefined = <A extends Record<string, unknown>>(value: A): A =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as A
