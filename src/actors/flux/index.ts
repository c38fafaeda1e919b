import type { StateStore } from "../../adapters/state/StateStore.ts"
import type { MetricHistory } from "../../history/History.ts"
import type { Scope } from "effect"
import { define } from "../../runtime/Agent.ts"
import { fluxCapabilities, fluxMachine } from "./machine.ts"
import { Flux } from "./messages.ts"

export { FluxConfig, type FluxConfigShape } from "./config.ts"

export const fluxAgent = define<StateStore | MetricHistory | Scope.Scope>({
  protocol: Flux,
  tier: "2",
  description: "Automation rules: when an event (alert, incident, schedule, metric threshold) if a condition do an agent message or an APEX plan",
  capabilities: fluxCapabilities,
  machine: fluxMachine
})
