import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { AtlasMessage } from "./messages.ts"

const usageMap = plannedCapability("usage-map", "reports used and available space per dataset and share")
const boundedScan = plannedCapability(
  "bounded-scan",
  "scans a path within a file-count and time budget for its largest files and the space per file type"
)

export const atlasCapabilities = [usageMap, boundedScan]

export const atlasMachine = plannedMachine<AtlasMessage>({
  usage: usageMap,
  largest: boundedScan,
  "file-types": boundedScan
})
