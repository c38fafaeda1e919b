/** Answers with the facts it was given, or always fails with the given error. */
import { Effect, Layer } from "effect"
import { type Facts, SystemFacts, type SystemFactsError } from "./SystemFacts.ts"

export const layer = (facts: Facts): Layer.Layer<SystemFacts> =>
  Layer.succeed(SystemFacts, SystemFacts.of({ facts: Effect.succeed(facts) }))

export const layerFailing = (error: SystemFactsError): Layer.Layer<SystemFacts> =>
  Layer.succeed(SystemFacts, SystemFacts.of({ facts: Effect.fail(error) }))
