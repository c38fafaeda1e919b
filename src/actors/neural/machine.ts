import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { NeuralMessage } from "./messages.ts"

const banditTuning = plannedCapability(
  "bandit-tuning",
  "suggests a value for a tunable parameter (breaker threshold, compression level) from a bandit over past outcomes"
)
const outcomeMemory = plannedCapability(
  "outcome-memory",
  "records the reward of each tried value and remembers it in MNEMONIC"
)

export const neuralCapabilities = [banditTuning, outcomeMemory]

export const neuralMachine = plannedMachine<NeuralMessage>({
  suggest: banditTuning,
  outcome: outcomeMemory,
  parameters: banditTuning
})
