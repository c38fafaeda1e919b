import type { Memory } from "../../memory/Memory.ts"
import type { AgentDefinition } from "../../runtime/Agent.ts"
import { neuralCapabilities, neuralMachine } from "./machine.ts"
import { NeuralMessages } from "./messages.ts"

export const neuralAgent: AgentDefinition<Memory> = {
  name: "NEURAL",
  tier: "2",
  description: "Adaptive tuning from outcomes (e.g. bandit-tuned breaker thresholds, compression levels); remembers in MNEMONIC",
  capabilities: neuralCapabilities,
  messages: NeuralMessages,
  machine: neuralMachine
}
