import type { AgentDefinition } from "../../runtime/Agent.ts"
import { vertexCapabilities, vertexMachine } from "./machine.ts"
import { VertexMessages } from "./messages.ts"

export const vertexAgent: AgentDefinition = {
  name: "VERTEX",
  tier: "5-8",
  description: "Topology graph disk→vdev→pool→dataset→share; blast radius of a failure",
  capabilities: vertexCapabilities,
  messages: VertexMessages,
  machine: vertexMachine
}
