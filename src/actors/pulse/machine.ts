import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { PulseMessage } from "./messages.ts"

const watchdog = plannedCapability(
  "watchdog",
  "sends WATCHDOG=1 to systemd only while the runtime is healthy, and tells when it last did and why it stopped"
)
const liveness = plannedCapability(
  "liveness",
  "reports service liveness: uptime, runtime health, last healthy heartbeat"
)

export const pulseCapabilities = [watchdog, liveness]

export const pulseMachine = plannedMachine<PulseMessage>({ heartbeat: watchdog, liveness })
