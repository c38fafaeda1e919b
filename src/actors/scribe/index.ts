import type { Scope } from "effect"
import type { Files } from "../../adapters/fs/Files.ts"
import type { MetricHistory } from "../../history/History.ts"
import { define } from "../../runtime/Agent.ts"
import { scribeCapabilities, scribeMachine } from "./machine.ts"
import { Scribe } from "./messages.ts"

export const scribeAgent = define<Files | MetricHistory | Scope.Scope>({
  protocol: Scribe,
  tier: "5-8",
  description: "Reports: health, capacity, security and activity reports in Markdown and JSON from the other agents and the metric history; archived, hashed into LEDGER, weekly through ORBIT",
  capabilities: scribeCapabilities,
  machine: scribeMachine
})
