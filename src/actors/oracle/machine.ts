import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { OracleMessage } from "./messages.ts"

const failurePrediction = plannedCapability(
  "failure-prediction",
  "scores each disk's failure risk from SMART attributes 5/187/188/197/198, NVMe media errors and wear"
)
const trends = plannedCapability(
  "trends",
  "keeps those attributes over time and flags disks whose counters are growing"
)

export const oracleCapabilities = [failurePrediction, trends]

export const oracleMachine = plannedMachine<OracleMessage>({ assess: failurePrediction, trend: trends })
