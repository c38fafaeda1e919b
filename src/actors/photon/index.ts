import { define } from "../../runtime/Agent.ts"
import { plannedCapability } from "../shared/planned.ts"
import { Photon } from "./messages.ts"

const interfaceStats = plannedCapability(
  "interface-stats",
  "reads link state, speed, throughput and error counters from /sys/class/net"
)

export const photonAgent = define({
  protocol: Photon,
  tier: "5-8",
  description: "Network interfaces: link state, throughput, errors (/sys/class/net)",
  capabilities: [interfaceStats]
})
