/** HELIX's protocol: the single source of its message schemas, access classes and (once built) replies. Every message is planned. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { DatasetName, Name, PositiveInt, Text } from "../shared/fields.ts"

export const Helix = Protocol.make("HELIX", [
  Protocol.planned("snapshot", {
    doc: "takes a snapshot of a dataset",
    access: "operate",
    capability: "snapshots",
    fields: {
      dataset: DatasetName,
      name: Schema.optionalKey(Name),
      recursive: Schema.optionalKey(Schema.Boolean)
    }
  }),
  Protocol.planned("snapshots", {
    doc: "the snapshots of a dataset, or of all",
    access: "read",
    capability: "snapshots",
    fields: {
      dataset: Schema.optionalKey(DatasetName)
    }
  }),
  Protocol.planned("replicate", {
    doc: "replicates a dataset to a target",
    access: "admin",
    capability: "replication",
    fields: {
      dataset: DatasetName,
      target: Text,
      incremental: Schema.optionalKey(Schema.Boolean)
    }
  }),
  Protocol.planned("prune", {
    doc: "deletes the oldest snapshots beyond the number to keep",
    access: "admin",
    capability: "retention",
    fields: {
      dataset: DatasetName,
      keep: PositiveInt,
      dryRun: Schema.optionalKey(Schema.Boolean)
    }
  })
])
