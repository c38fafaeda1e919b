import type { AgentDefinition } from "../../runtime/Agent.ts"
import { phantomCapabilities, phantomMachine } from "./machine.ts"
import { PhantomMessages } from "./messages.ts"

export const phantomAgent: AgentDefinition = {
  name: "PHANTOM",
  tier: "5-8",
  description: "WireGuard: peer keys, server/client configs, terminal QR, `wg show dump` status",
  capabilities: phantomCapabilities,
  messages: PhantomMessages,
  machine: phantomMachine
}
