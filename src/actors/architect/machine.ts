import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { ArchitectMessage } from "./messages.ts"

const recommendation = plannedCapability(
  "layout-recommendation",
  "proposes vdev layouts from the disk inventory with usable capacity, how many disks may fail, and the exact `zpool create` line"
)
const validation = plannedCapability(
  "layout-validation",
  "checks a proposed layout: redundancy, mismatched disk sizes within a vdev, disks used twice or absent"
)

export const architectCapabilities = [recommendation, validation]

export const architectMachine = plannedMachine<ArchitectMessage>({ recommend: recommendation, validate: validation })
