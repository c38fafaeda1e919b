/** What can go wrong when an agent remembers or recalls; each message names the collection and the fault. */
import { Schema } from "effect"
import { FileError } from "../adapters/fs/Files.ts"

/** The request itself is wrong: a bad name, a text for a vector collection, a vector of the wrong size. */
export class InvalidMemoryRequest extends Schema.TaggedError<InvalidMemoryRequest>()("InvalidMemoryRequest", {
  collection: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `memory collection '${this.collection}': ${this.reason}`
  }
}

/** A limit that keeps one collection from taking the daemon's memory. */
export class MemoryLimitReached extends Schema.TaggedError<MemoryLimitReached>()("MemoryLimitReached", {
  collection: Schema.String,
  limit: Schema.String
}) {
  override get message() {
    return `memory collection '${this.collection}' is full: ${this.limit}`
  }
}

/**
 * The collection's files could not be loaded (corrupt, newer format,
 * unreadable). The files are left as they are for an administrator; the
 * collection refuses every request until they are moved aside.
 */
export class CollectionUnavailable extends Schema.TaggedError<CollectionUnavailable>()("CollectionUnavailable", {
  collection: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `memory collection '${this.collection}' is unavailable: ${this.reason}`
  }
}

/** The collection's HNSW index failed (hnswlib refused an add, a search, or saving or loading itself). */
export class MemoryIndexFailed extends Schema.TaggedError<MemoryIndexFailed>()("MemoryIndexFailed", {
  collection: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `memory collection '${this.collection}': ${this.reason}`
  }
}

/** Writing the collection's journal or snapshot failed (a full disk, permissions): a FileError. */
export type MemoryError = InvalidMemoryRequest | MemoryLimitReached | CollectionUnavailable | MemoryIndexFailed | FileError

/** Every MemoryError's schema, for the protocols of agents that pass them on as rejections. */
export const MEMORY_ERRORS = [InvalidMemoryRequest, MemoryLimitReached, CollectionUnavailable, MemoryIndexFailed, FileError] as const
