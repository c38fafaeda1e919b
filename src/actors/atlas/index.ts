import type { CallerFiles } from "../../adapters/fs/CallerFiles.ts"
import type { Zfs } from "../../adapters/zfs/Zfs.ts"
import type { MetricHistory } from "../../history/History.ts"
import { define } from "../../runtime/Agent.ts"
import { atlasCapabilities, atlasMachine } from "./machine.ts"
import { Atlas } from "./messages.ts"

export const atlasAgent = define<Zfs | CallerFiles | MetricHistory>({
  protocol: Atlas,
  tier: "2",
  description: "Space usage of a path or dataset: bounded, cancellable scans; largest files and directories, file types; each dataset's usage trend from the metric history",
  capabilities: atlasCapabilities,
  machine: atlasMachine
})
