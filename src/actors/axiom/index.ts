import type { StateStore } from "../../adapters/state/StateStore.ts"
import type { MetricHistory } from "../../history/History.ts"
import { define } from "../../runtime/Agent.ts"
import { axiomCapabilities, axiomMachine } from "./machine.ts"
import { Axiom } from "./messages.ts"

export const axiomAgent = define<MetricHistory | StateStore>({
  protocol: Axiom,
  tier: "1",
  description: "Statistics: capacity forecasts (days until 80/90/100 % full, with intervals, robust to level shifts), EWMA/z-score anomaly scores for other agents",
  capabilities: axiomCapabilities,
  machine: axiomMachine
})
