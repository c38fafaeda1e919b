import type { AgentDefinition } from "../../runtime/Agent.ts"
import { atlasCapabilities, atlasMachine } from "./machine.ts"
import { AtlasMessages } from "./messages.ts"

export const atlasAgent: AgentDefinition = {
  name: "ATLAS",
  tier: "2",
  description: "Space usage maps: per-share/dataset usage, largest files, file-type breakdown (bounded scans)",
  capabilities: atlasCapabilities,
  messages: AtlasMessages,
  machine: atlasMachine
}
