/**
 * NEURAL: MNEMONIC on the wire (remember, recall, forget, get, create, tune,
 * stats) through the Memory port, and the bandit that tunes TENSOR's zstd
 * level per content class from measured outcomes (choose, outcome, tuning,
 * reset-tuning; docs/tuning.md), remembered in MNEMONIC.
 */
import { Effect } from "effect"
import type { Capability } from "../../runtime/Agent.ts"
import { MetricHistory } from "../../history/History.ts"
import { InvalidMemoryRequest } from "../../memory/Errors.ts"
import { Memory } from "../../memory/Memory.ts"
import { serviceMachine } from "../shared/serve.ts"
import { NeuralConfig } from "./config.ts"
import { Neural, NoSuchRecord } from "./messages.ts"
import { COLLECTION, makeTuner, tuningSummary } from "./tuning.ts"

const memory: Capability = {
  name: "memory",
  available: true,
  detail: "MNEMONIC collections: remember texts or vectors with metadata; recall exact matches (Bloom then exact index), " +
    "near-duplicates (MinHash or hyperplane LSH, verified) and the k most similar (HNSW); kept under the state directory"
}

/**
 * The detail is read when `describe` is answered: the live table, per class
 * the level chosen, its mean reward and jobs. (One NEURAL runs per daemon; in
 * a test process running several systems, it is the last one's.)
 */
const tuning: Capability = {
  name: "tuning",
  available: true,
  get detail() {
    return `tunes TENSOR's zstd level per content class with an ε-greedy bandit on log2(MiB/s × ratio), exploration bounded; remembered in MNEMONIC: ${tuningSummary.text}`
  }
}

export const neuralCapabilities: ReadonlyArray<Capability> = [memory, tuning]

/**
 * The tuning's own collection is written only through `outcome` and
 * `reset-tuning`: an operator's `remember` there could plant a table that
 * the next start would load (reading it stays open).
 */
const guarded = <A, E>(collection: string, run: () => Effect.Effect<A, E>): Effect.Effect<A, E | InvalidMemoryRequest> =>
  collection === COLLECTION
    ? Effect.fail(new InvalidMemoryRequest({ collection, reason: "reserved for NEURAL's tuning: it changes only through outcomes and reset-tuning" }))
    : run()

export const neuralMachine = Effect.gen(function*() {
  const mnemonic = yield* Memory
  const tuner = yield* makeTuner(mnemonic, yield* NeuralConfig, yield* MetricHistory)
  return yield* serviceMachine(Neural, {
    handlers: {
      remember: (message) => guarded(message.collection, () => mnemonic.remember(message)),
      recall: (message) =>
        mnemonic.recall(message.collection, {
          text: message.text,
          vector: message.vector,
          k: message.k ?? 10,
          mode: message.mode ?? "auto",
          threshold: message.threshold
        }),
      forget: (message) => guarded(message.collection, () => mnemonic.forget(message.collection, message.id)),
      get: ({ collection, id }) =>
        Effect.flatMap(mnemonic.get(collection, id), (found) =>
          found._tag === "Some" ? Effect.succeed(found.value) : Effect.fail(new NoSuchRecord({ collection, id }))),
      create: (message) => {
        const { type: _type, collection, kind, ...overrides } = message
        return guarded(collection, () => mnemonic.create(collection, kind, overrides))
      },
      tune: (message) => guarded(message.collection, () => mnemonic.tune(message.collection, message.ef)),
      stats: () => Effect.map(mnemonic.stats, (collections) => ({ collections })),
      choose: (message) => tuner.choose(message),
      outcome: (message) => tuner.outcome(message),
      tuning: () => tuner.table,
      "reset-tuning": (message) => tuner.reset(message)
    }
  })
})
