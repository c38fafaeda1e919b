import { define } from "../../runtime/Agent.ts"
import { plannedCapability } from "../shared/planned.ts"
import { Velocity } from "./messages.ts"

const benchmark = plannedCapability(
  "benchmark",
  "runs fio (JSON output), or a built-in fallback, against a path and reports MB/s, IOPS and latency percentiles"
)
const history = plannedCapability("history", "keeps past benchmark results per target for comparison")

export const velocityAgent = define({
  protocol: Velocity,
  tier: "1",
  description: "Storage I/O benchmarks (fio JSON, or built-in fallback): MB/s, IOPS, latency percentiles, history",
  capabilities: [benchmark, history]
})
