/** SCRIBE's protocol: the single source of its message schemas, access classes and (once built) replies. Every message is planned. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"

export const Scribe = Protocol.make("SCRIBE", [
  Protocol.planned("report", {
    doc: "writes a health, capacity or security report",
    access: "read",
    capability: "reports",
    fields: {
      kind: Schema.Literals(["health", "capacity", "security"]),
      format: Schema.optionalKey(Schema.Literals(["markdown", "json"]))
    }
  }),
  Protocol.planned("reports", {
    doc: "the reports kept",
    access: "read",
    capability: "report-archive"
  })
])
