import type { ProcStats } from "../../adapters/procfs/ProcStats.ts"
import type { Memory } from "../../memory/Memory.ts"
import type { MetricHistory } from "../../history/History.ts"
import { define } from "../../runtime/Agent.ts"
import { sentryMachine } from "./machine.ts"
import { Sentry } from "./messages.ts"

export const sentryAgent = define<ProcStats | Memory | MetricHistory>({
  protocol: Sentry,
  tier: "2",
  description: "Resource monitor from /proc (CPU, memory, load, disk I/O) with hysteresis alerts",
  capabilities: [
    {
      name: "utilisation",
      available: true,
      detail: "samples /proc/stat, meminfo, loadavg and diskstats on an interval: CPU busy and iowait %, memory and swap used %, load per CPU, per-disk read/write bytes/s and util %"
    },
    {
      name: "alerts",
      available: true,
      detail: "raises an alert when a metric stays at or above its threshold for N samples and clears it only at or below a lower one; keeps a bounded history"
    },
    {
      name: "alert-precedents",
      available: true,
      detail: "remembers each raised alert's situation (CPU, memory, load, busiest disk) in MNEMONIC and recalls the earlier alerts most like it"
    }
  ],
  machine: sentryMachine
})
