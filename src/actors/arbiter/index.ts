import type { StateStore } from "../../adapters/state/StateStore.ts"
import { define } from "../../runtime/Agent.ts"
import { arbiterCapabilities, arbiterMachine } from "./machine.ts"
import { Arbiter } from "./messages.ts"

export const arbiterAgent = define<StateStore>({
  protocol: Arbiter,
  tier: "5-8",
  description: "Resource leases so conflicting jobs (scrub vs benchmark vs resilver vs replication) never overlap; the holder is named on a refusal",
  capabilities: arbiterCapabilities,
  machine: arbiterMachine
})
