/**
 * Plays back a scripted sequence of samples, one per `sample`, stamped with
 * Effect's Clock (so TestClock decides the time between them). A scripted
 * ProcStatsError is failed with when its turn comes; past the end of the
 * script every sample fails.
 */
import { Clock, Effect, Layer, Ref } from "effect"
import { ProcStats, ProcStatsError, type RawSample } from "./ProcStats.ts"

export type ScriptedSample = Omit<RawSample, "monotonicMs">

export const make = (script: ReadonlyArray<ScriptedSample | ProcStatsError>): Effect.Effect<ProcStats["Service"]> =>
  Effect.map(Ref.make(0), (position) =>
    ProcStats.of({
      sample: Effect.gen(function*() {
        const index = yield* Ref.getAndUpdate(position, (n) => n + 1)
        const entry = script[index]
        if (entry === undefined) {
          return yield* new ProcStatsError({
            source: "ProcStatsTest",
            reason: `script exhausted after ${script.length} samples`
          })
        }
        if (entry instanceof ProcStatsError) return yield* entry
        const nanos = yield* Clock.monotonicTimeNanos
        return { ...entry, monotonicMs: Number(nanos / 1_000_000n) }
      })
    }))

export const layer = (script: ReadonlyArray<ScriptedSample | ProcStatsError>): Layer.Layer<ProcStats> =>
  Layer.effect(ProcStats, make(script))
