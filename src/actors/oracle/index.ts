import type { Smart } from "../../adapters/smart/Smart.ts"
import type { StateStore } from "../../adapters/state/StateStore.ts"
import type { MetricHistory } from "../../history/History.ts"
import { define } from "../../runtime/Agent.ts"
import { oracleCapabilities, oracleMachine } from "./machine.ts"
import { Oracle } from "./messages.ts"

export { OracleConfig, type OracleConfigShape } from "./config.ts"

export const oracleAgent = define<Smart | StateStore | MetricHistory>({
  protocol: Oracle,
  tier: "5-8",
  description: "Disk-failure prediction from SMART: risk per disk with evidence, daily history, one alert per rise",
  capabilities: oracleCapabilities,
  machine: oracleMachine
})
