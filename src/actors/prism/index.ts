import type { Files } from "../../adapters/fs/Files.ts"
import type { MetricHistory } from "../../history/History.ts"
import { define } from "../../runtime/Agent.ts"
import { prismCapabilities, prismMachine } from "./machine.ts"
import { Prism } from "./messages.ts"

export const prismAgent = define<Files | MetricHistory>({
  protocol: Prism,
  tier: "2",
  description: "Metrics: the runtime's and the agents' numbers in the Prometheus text exposition format, history queries, the textfile for node_exporter",
  capabilities: prismCapabilities,
  machine: prismMachine
})
