import type { StateStore } from "../../adapters/state/StateStore.ts"
import { define } from "../../runtime/Agent.ts"
import { nexusCapabilities, nexusMachine } from "./machine.ts"
import { Nexus } from "./messages.ts"

export { NexusConfig, type NexusConfigShape } from "./config.ts"

export const nexusAgent = define<StateStore>({
  protocol: Nexus,
  tier: "3",
  description: "Correlates alerts into incidents (fingerprint dedup, VERTEX topology grouping, inhibition, silences): one notification per incident",
  capabilities: nexusCapabilities,
  machine: nexusMachine
})
