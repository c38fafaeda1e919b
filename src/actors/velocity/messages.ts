/** VELOCITY's protocol: the single source of its message schemas, access classes and (once built) replies. Every message is planned. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { AbsolutePath, PositiveInt } from "../shared/fields.ts"

export const Velocity = Protocol.make("VELOCITY", [
  Protocol.planned("benchmark", {
    doc: "benchmarks a path with fio: MB/s, IOPS, latency percentiles",
    access: "operate",
    capability: "benchmark",
    fields: {
      target: AbsolutePath,
      workload: Schema.optionalKey(Schema.Literals(["seq-read", "seq-write", "rand-read", "rand-write", "mixed"])),
      sizeMiB: Schema.optionalKey(PositiveInt),
      seconds: Schema.optionalKey(PositiveInt)
    }
  }),
  Protocol.planned("history", {
    doc: "past benchmark results",
    access: "read",
    capability: "history",
    fields: {
      target: Schema.optionalKey(AbsolutePath),
      limit: Schema.optionalKey(PositiveInt)
    }
  })
])
