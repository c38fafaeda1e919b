/**
 * NEURAL: MNEMONIC on the wire (remember, recall, forget, get, create, tune,
 * stats) through the Memory port; the bandit tuning that will learn from
 * remembered outcomes is still planned and says so.
 */
import { Effect } from "effect"
import type { Capability } from "../../runtime/Agent.ts"
import { Memory } from "../../memory/Memory.ts"
import { plannedCapability } from "../shared/planned.ts"
import { serviceMachine } from "../shared/serve.ts"
import { Neural, NoSuchRecord } from "./messages.ts"

const banditTuning = plannedCapability(
  "bandit-tuning",
  "suggests a value for a tunable parameter (breaker threshold, compression level) from a bandit over past outcomes"
)
const outcomeMemory = plannedCapability(
  "outcome-memory",
  "records the reward of each tried value and remembers it in MNEMONIC"
)
const memory: Capability = {
  name: "memory",
  available: true,
  detail: "MNEMONIC collections: remember texts or vectors with metadata; recall exact matches (Bloom then exact index), " +
    "near-duplicates (MinHash or hyperplane LSH, verified) and the k most similar (HNSW); kept under the state directory"
}

export const neuralCapabilities: ReadonlyArray<Capability> = [memory, banditTuning, outcomeMemory]

export const neuralMachine = Effect.gen(function*() {
  const mnemonic = yield* Memory
  return yield* serviceMachine(Neural, {
    handlers: {
      remember: (message) => mnemonic.remember(message),
      recall: (message) =>
        mnemonic.recall(message.collection, {
          text: message.text,
          vector: message.vector,
          k: message.k ?? 10,
          mode: message.mode ?? "auto",
          threshold: message.threshold
        }),
      forget: (message) => mnemonic.forget(message.collection, message.id),
      get: ({ collection, id }) =>
        Effect.flatMap(mnemonic.get(collection, id), (found) =>
          found._tag === "Some" ? Effect.succeed(found.value) : Effect.fail(new NoSuchRecord({ collection, id }))),
      create: (message) => {
        const { type: _type, collection, kind, ...overrides } = message
        return mnemonic.create(collection, kind, overrides)
      },
      tune: (message) => mnemonic.tune(message.collection, message.ef),
      stats: () => Effect.map(mnemonic.stats, (collections) => ({ collections }))
    }
  })
})
