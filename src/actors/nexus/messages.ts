/** NEXUS's protocol: the single source of its message schemas, access classes and (once built) replies. Every message is planned. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { AgentName, Name, Severity, Text } from "../shared/fields.ts"

export const Nexus = Protocol.make("NEXUS", [
  Protocol.planned("report", {
    doc: "an agent's event, to be correlated into incidents",
    access: "runtime",
    capability: "correlation",
    fields: {
      source: AgentName,
      subject: Text,
      severity: Severity,
      summary: Text
    }
  }),
  Protocol.planned("incidents", {
    doc: "incidents, open or all",
    access: "read",
    capability: "incidents",
    fields: {
      open: Schema.optionalKey(Schema.Boolean)
    }
  }),
  Protocol.planned("incident", {
    doc: "one incident with its events",
    access: "read",
    capability: "incidents",
    fields: {
      id: Name
    }
  }),
  Protocol.planned("acknowledge", {
    doc: "records that an administrator has seen an incident",
    access: "operate",
    capability: "incidents",
    fields: {
      id: Name
    }
  })
])
