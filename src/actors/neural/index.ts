import type { Memory } from "../../memory/Memory.ts"
import { define } from "../../runtime/Agent.ts"
import { neuralCapabilities, neuralMachine } from "./machine.ts"
import { Neural } from "./messages.ts"

export const neuralAgent = define<Memory>({
  protocol: Neural,
  tier: "2",
  description: "Adaptive tuning from outcomes (e.g. bandit-tuned breaker thresholds, compression levels); remembers in MNEMONIC",
  capabilities: neuralCapabilities,
  machine: neuralMachine
})
