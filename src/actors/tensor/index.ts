import type { Files } from "../../adapters/fs/Files.ts"
import type { AgentDefinition } from "../../runtime/Agent.ts"
import { tensorCapabilities, tensorMachine } from "./machine.ts"
import { TensorMessages } from "./messages.ts"

export const tensorAgent: AgentDefinition<Files> = {
  name: "TENSOR",
  tier: "2",
  description: "Compression: per-file-type strategy, zstd/brotli/gzip, content-defined-chunking dedup, jobs with progress",
  capabilities: tensorCapabilities,
  messages: TensorMessages,
  machine: tensorMachine
}
