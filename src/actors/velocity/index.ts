import type { Disks } from "../../adapters/disks/Disks.ts"
import type { CallerFiles } from "../../adapters/fs/CallerFiles.ts"
import type { StateStore } from "../../adapters/state/StateStore.ts"
import type { StorageBench } from "../../adapters/storagebench/StorageBench.ts"
import type { Zfs } from "../../adapters/zfs/Zfs.ts"
import type { MetricHistory } from "../../history/History.ts"
import { define } from "../../runtime/Agent.ts"
import { velocityCapabilities, velocityMachine } from "./machine.ts"
import { Velocity } from "./messages.ts"

export const velocityAgent = define<StorageBench | CallerFiles | StateStore | Disks | Zfs | MetricHistory>({
  protocol: Velocity,
  tier: "1",
  description: "Storage I/O benchmarks (fio JSON, or built-in fallback): MB/s, IOPS, latency percentiles, history",
  capabilities: velocityCapabilities,
  machine: velocityMachine
})
