/**
 * MNEMONIC, the agents' shared memory, as a port: agents remember records in
 * named collections and recall exact matches, near-duplicates and the k most
 * similar. MemoryLive keeps collections under the state directory;
 * MemoryTest keeps them in memory.
 */
import { Context, type Effect, type Option } from "effect"
import type { Kind, Match, Meta, Query, Recall, Settings, SettingsOverrides } from "./Collection.ts"
import type { MemoryError } from "./Errors.ts"

export type { Kind, Match, Meta, Mode, Query, Recall, Settings, SettingsOverrides } from "./Collection.ts"

export interface Remember {
  readonly collection: string
  readonly id: string
  readonly text?: string | undefined
  readonly vector?: ReadonlyArray<number> | undefined
  readonly meta?: Meta | undefined
}

export interface Remembered {
  readonly collection: string
  readonly id: string
  /** false when an existing record with this id was replaced */
  readonly created: boolean
  readonly records: number
}

export interface StoredRecord {
  readonly id: string
  readonly text?: string
  readonly vector?: ReadonlyArray<number>
  readonly meta: Meta
  readonly at: number
}

export interface CollectionStats {
  readonly name: string
  /** "ok", or why the collection's files could not be loaded */
  readonly status: "ok" | "unavailable" | "not-loaded"
  readonly reason?: string
  readonly settings?: Settings
  readonly records?: number
  /** journal records written since the last snapshot */
  readonly journalRecords?: number
  readonly layers?: unknown
}

export interface MemoryShape {
  /** Creates a collection with chosen settings; creating an existing one with the same kind is a no-op that reports it. */
  readonly create: (
    collection: string,
    kind: Kind,
    overrides: SettingsOverrides
  ) => Effect.Effect<CollectionStats, MemoryError>
  /** Adds or replaces a record; the collection is created with defaults on first use. Durable when it succeeds. */
  readonly remember: (record: Remember) => Effect.Effect<Remembered, MemoryError>
  readonly recall: (collection: string, query: Query) => Effect.Effect<Recall, MemoryError>
  readonly forget: (collection: string, id: string) => Effect.Effect<{ readonly forgotten: boolean }, MemoryError>
  readonly get: (collection: string, id: string) => Effect.Effect<Option.Option<StoredRecord>, MemoryError>
  /** Sets the HNSW search breadth of a collection (persisted; hnswlib itself does not keep it). */
  readonly tune: (collection: string, ef: number) => Effect.Effect<CollectionStats, MemoryError>
  readonly stats: Effect.Effect<ReadonlyArray<CollectionStats>>
  /** Writes a snapshot of every collection changed since its last one. */
  readonly flush: Effect.Effect<void, MemoryError>
}

export class Memory extends Context.Service<Memory, MemoryShape>()("sigmavault/memory/Memory") {}

export type { Match as RecallMatch }
