import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { VelocityMessage } from "./messages.ts"

const benchmark = plannedCapability(
  "benchmark",
  "runs fio (JSON output), or a built-in fallback, against a path and reports MB/s, IOPS and latency percentiles"
)
const history = plannedCapability("history", "keeps past benchmark results per target for comparison")

export const velocityCapabilities = [benchmark, history]

export const velocityMachine = plannedMachine<VelocityMessage>({ benchmark, history })
