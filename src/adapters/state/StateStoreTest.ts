/**
 * StateStore in memory, for tests. Documents go through the same encoding as
 * the live store, so a value that could not be written to disk is refused
 * here too, and a reader gets a copy, not the object that was written.
 */
import { Effect, Layer, Option } from "effect"
import { decodeDocument, encodeDocument, StateStore, type StateStoreShape, validateKey } from "./StateStore.ts"

export interface StateStoreTestShape extends StateStoreShape {
  /** The stored document texts by key, as the live store would have them on disk. */
  readonly documents: ReadonlyMap<string, string>
}

/** An in-memory store, optionally holding `seed` (key → value) from the start. */
export const make = (seed: Readonly<Record<string, unknown>> = {}): Effect.Effect<StateStoreTestShape, never> =>
  Effect.gen(function*() {
    const documents = new Map<string, string>()
    const write = (key: string, value: unknown) =>
      Effect.gen(function*() {
        yield* validateKey(key)
        documents.set(key, yield* encodeDocument(key, value))
      })
    const read = (key: string) =>
      Effect.gen(function*() {
        yield* validateKey(key)
        const text = documents.get(key)
        if (text === undefined) return Option.none()
        return Option.some(yield* decodeDocument(`memory:${key}.json`, text))
      })
    for (const [key, value] of Object.entries(seed)) {
      yield* Effect.orDie(write(key, value))
    }
    return { read, write, documents }
  })

export const layer = (seed: Readonly<Record<string, unknown>> = {}): Layer.Layer<StateStore> =>
  Layer.effect(StateStore, make(seed))
