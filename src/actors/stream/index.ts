import type { AgentDefinition } from "../../runtime/Agent.ts"
import { streamCapabilities, streamMachine } from "./machine.ts"
import { StreamMessages } from "./messages.ts"

export const streamAgent: AgentDefinition = {
  name: "STREAM",
  tier: "5-8",
  description: "Event fan-out to subscribers (socket, D-Bus signals, TUI) with bounded per-subscriber buffers",
  capabilities: streamCapabilities,
  messages: StreamMessages,
  machine: streamMachine
}
