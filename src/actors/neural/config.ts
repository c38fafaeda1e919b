/**
 * NEURAL's tuning configuration (docs/tuning.md): whether the bandit may move
 * TENSOR's level (`tuning = on|off`), the most that may explore
 * (`tuning_explore_percent`), and the zstd levels it chooses among. A
 * Context.Reference: tests and `selftest` get these defaults, which are the
 * file's defaults too.
 */
import { Context } from "effect"
import { DEFAULT_ARMS } from "./bandit.ts"

export interface NeuralConfigShape {
  /** Off: TENSOR gets its fixed default level; outcomes are still recorded. */
  readonly tuning: boolean
  /** The most jobs per content class that may try another level, in percent (0–20). */
  readonly explorePercent: number
  /** The zstd levels the bandit chooses among (TENSOR's default level of a class is always one). */
  readonly levels: ReadonlyArray<number>
}

export const defaultNeuralConfig: NeuralConfigShape = { tuning: true, explorePercent: 5, levels: DEFAULT_ARMS }

export const NeuralConfig = Context.Reference<NeuralConfigShape>("sigmavault/actors/neural/NeuralConfig", {
  defaultValue: () => defaultNeuralConfig
})
