import type { AgentDefinition } from "../../runtime/Agent.ts"
import { pulseCapabilities, pulseMachine } from "./machine.ts"
import { PulseMessages } from "./messages.ts"

export const pulseAgent: AgentDefinition = {
  name: "PULSE",
  tier: "5-8",
  description: "Heartbeat: systemd watchdog pings only while the runtime is healthy; service liveness",
  capabilities: pulseCapabilities,
  messages: PulseMessages,
  machine: pulseMachine
}
