import type { MetricHistory } from "../../history/History.ts"
import type { Memory } from "../../memory/Memory.ts"
import { define } from "../../runtime/Agent.ts"
import { neuralCapabilities, neuralMachine } from "./machine.ts"
import { Neural } from "./messages.ts"

export const neuralAgent = define<Memory | MetricHistory>({
  protocol: Neural,
  tier: "2",
  description: "Adaptive tuning from outcomes: a bandit tunes TENSOR's zstd level per content class; MNEMONIC, the agents' memory, on the wire",
  capabilities: neuralCapabilities,
  machine: neuralMachine
})
