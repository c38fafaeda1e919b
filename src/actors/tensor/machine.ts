import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { TensorMessage } from "./messages.ts"

const compression = plannedCapability(
  "compression",
  "compresses and decompresses with zstd, brotli or gzip chosen per file type, as jobs that report progress"
)
const estimation = plannedCapability(
  "estimation",
  "measures the compression ratio and the content-defined-chunking dedup ratio on a sample of a path"
)

export const tensorCapabilities = [compression, estimation]

export const tensorMachine = plannedMachine<TensorMessage>({
  compress: compression,
  decompress: compression,
  estimate: estimation,
  jobs: compression
})
