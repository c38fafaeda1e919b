import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { VertexMessage } from "./messages.ts"

const topology = plannedCapability(
  "topology",
  "builds the graph disk → vdev → pool → dataset → share from ZFS and the share config"
)
const blastRadius = plannedCapability(
  "blast-radius",
  "lists what degrades or is lost if a node fails, given the redundancy above it"
)

export const vertexCapabilities = [topology, blastRadius]

export const vertexMachine = plannedMachine<VertexMessage>({ topology, "blast-radius": blastRadius })
