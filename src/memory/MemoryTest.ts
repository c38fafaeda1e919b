/**
 * Memory for tests: the same store as MemoryLive over storage kept in a Map,
 * so a test can "restart" by building a second store over the same storage,
 * and look at what was journaled.
 */
import { tmpdir } from "node:os"
import { Effect, Layer, Option } from "effect"
import { scratchFileIn } from "./internal/scratch.ts"
import { Memory } from "./Memory.ts"
import { makeStore, type SnapshotData, type Storage } from "./Store.ts"

export interface InMemoryStorage extends Storage {
  readonly journals: Map<string, Array<unknown>>
  readonly snapshots: Map<string, SnapshotData>
}

export const makeInMemoryStorage = (): InMemoryStorage => {
  const journals = new Map<string, Array<unknown>>()
  const snapshots = new Map<string, SnapshotData>()
  return {
    journals,
    snapshots,
    scratch: scratchFileIn(tmpdir()),
    list: Effect.sync(() => [...new Set([...journals.keys(), ...snapshots.keys()])]),
    load: (name) =>
      Effect.sync(() => ({
        snapshot: Option.fromUndefinedOr(snapshots.get(name)),
        journal: [...(journals.get(name) ?? [])],
        tornTail: Option.none()
      })),
    append: (name, records) =>
      Effect.sync(() => {
        // A deep copy, as a file would hold: later changes to the caller's objects must not leak in.
        const copies = records.map((record) => JSON.parse(JSON.stringify(record)) as unknown)
        journals.set(name, [...(journals.get(name) ?? []), ...copies])
      }),
    snapshot: (name, { header, sections }) =>
      Effect.sync(() => {
        snapshots.set(name, {
          header: JSON.parse(JSON.stringify(header)) as unknown,
          sections: new Map(sections.map(({ name, bytes }) => [name, bytes.slice()]))
        })
        journals.set(name, [])
      })
  }
}

export const makeMemoryTest = (storage: Storage = makeInMemoryStorage()) =>
  makeStore(storage, { warn: (message) => Effect.logWarning(message) })

export const MemoryTest: Layer.Layer<Memory> = Layer.effect(Memory, makeMemoryTest())
