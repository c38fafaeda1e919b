import type { AgentDefinition } from "../../runtime/Agent.ts"
import { arbiterCapabilities, arbiterMachine } from "./machine.ts"
import { ArbiterMessages } from "./messages.ts"

export const arbiterAgent: AgentDefinition = {
  name: "ARBITER",
  tier: "5-8",
  description: "Resource leases so conflicting jobs (scrub vs benchmark vs resilver) never overlap",
  capabilities: arbiterCapabilities,
  messages: ArbiterMessages,
  machine: arbiterMachine
}
