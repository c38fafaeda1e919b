/**
 * MNEMONIC, the agents' shared memory, as a port: agents remember records in
 * named collections and recall exact matches, near-duplicates and the k most
 * similar. MemoryLive keeps collections under the state directory;
 * MemoryTest keeps them in memory.
 */
import { Context, type Effect, type Option } from "effect"
import type { MemoryError } from "./Errors.ts"
import type {
  CollectionStats,
  Kind,
  Match,
  Meta,
  Recall,
  Remembered,
  SettingsOverrides,
  StoredRecord
} from "./Schemas.ts"

import type { Query } from "./Collection.ts"

export type { Query } from "./Collection.ts"
export type { CollectionStats, Kind, Match, Meta, Mode, Recall, Remembered, Settings, SettingsOverrides, StoredRecord } from "./Schemas.ts"

export interface Remember {
  readonly collection: string
  readonly id: string
  readonly text?: string | undefined
  readonly vector?: ReadonlyArray<number> | undefined
  readonly meta?: Meta | undefined
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
