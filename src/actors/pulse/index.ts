import type { Notify } from "../../adapters/systemd/Notify.ts"
import type { ServiceManager } from "../../adapters/systemd/ServiceManager.ts"
import { define } from "../../runtime/Agent.ts"
import { pulseCapabilities, pulseMachine } from "./machine.ts"
import { Pulse } from "./messages.ts"

export { defaultPulseConfig, PulseConfig, type PulseConfigShape } from "./config.ts"
export type { HeartbeatDecision, ServiceLiveness } from "./messages.ts"

export const pulseAgent = define<Notify | ServiceManager>({
  protocol: Pulse,
  tier: "5-8",
  description: "Heartbeat: systemd watchdog pings only while the runtime is healthy; service liveness",
  capabilities: pulseCapabilities,
  machine: pulseMachine
})
