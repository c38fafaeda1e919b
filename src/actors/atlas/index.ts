import type { Files } from "../../adapters/fs/Files.ts"
import type { Zfs } from "../../adapters/zfs/Zfs.ts"
import type { AgentDefinition } from "../../runtime/Agent.ts"
import { atlasCapabilities, atlasMachine } from "./machine.ts"
import { AtlasMessages } from "./messages.ts"

export const atlasAgent: AgentDefinition<Zfs | Files> = {
  name: "ATLAS",
  tier: "2",
  description: "Space usage of a path or dataset: bounded, cancellable scans; largest files and directories, file types",
  capabilities: atlasCapabilities,
  messages: AtlasMessages,
  machine: atlasMachine
}
