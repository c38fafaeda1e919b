import type { NetLinks } from "../../adapters/netlinks/NetLinks.ts"
import type { MetricHistory } from "../../history/History.ts"
import { define } from "../../runtime/Agent.ts"
import { photonCapabilities, photonMachine } from "./machine.ts"
import { Photon } from "./messages.ts"

export const photonAgent = define<NetLinks | MetricHistory>({
  protocol: Photon,
  tier: "5-8",
  description: "Network links from /sys/class/net: state, speed, throughput and error rates, carrier flaps, link alerts",
  capabilities: photonCapabilities,
  machine: photonMachine
})
