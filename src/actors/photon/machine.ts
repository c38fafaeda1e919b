import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { PhotonMessage } from "./messages.ts"

const interfaceStats = plannedCapability(
  "interface-stats",
  "reads link state, speed, throughput and error counters from /sys/class/net"
)

export const photonCapabilities = [interfaceStats]

export const photonMachine = plannedMachine<PhotonMessage>({ interfaces: interfaceStats, interface: interfaceStats })
