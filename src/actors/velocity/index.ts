import type { AgentDefinition } from "../../runtime/Agent.ts"
import { velocityCapabilities, velocityMachine } from "./machine.ts"
import { VelocityMessages } from "./messages.ts"

export const velocityAgent: AgentDefinition = {
  name: "VELOCITY",
  tier: "1",
  description: "Storage I/O benchmarks (fio JSON, or built-in fallback): MB/s, IOPS, latency percentiles, history",
  capabilities: velocityCapabilities,
  messages: VelocityMessages,
  machine: velocityMachine
}
