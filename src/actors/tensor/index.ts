import type { CallerFiles } from "../../adapters/fs/CallerFiles.ts"
import { define } from "../../runtime/Agent.ts"
import { tensorCapabilities, tensorMachine } from "./machine.ts"
import { Tensor } from "./messages.ts"

export const tensorAgent = define<CallerFiles>({
  protocol: Tensor,
  tier: "2",
  description: "Compression: per-file-type strategy, zstd/brotli/gzip, content-defined-chunking dedup, jobs with progress",
  capabilities: tensorCapabilities,
  machine: tensorMachine
})
