import type { Notify } from "../../adapters/systemd/Notify.ts"
import type { ServiceManager } from "../../adapters/systemd/ServiceManager.ts"
import type { AgentDefinition } from "../../runtime/Agent.ts"
import { pulseCapabilities, pulseMachine } from "./machine.ts"
import { PulseMessages } from "./messages.ts"

export { defaultPulseConfig, PulseConfig, type PulseConfigShape } from "./config.ts"
export type { HeartbeatDecision, ServiceLiveness } from "./machine.ts"

export const pulseAgent: AgentDefinition<Notify | ServiceManager> = {
  name: "PULSE",
  tier: "5-8",
  description: "Heartbeat: systemd watchdog pings only while the runtime is healthy; service liveness",
  capabilities: pulseCapabilities,
  messages: PulseMessages,
  machine: pulseMachine
}
