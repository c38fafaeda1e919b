/** MENTOR's protocol: the single source of its message schemas, access classes and (once built) replies. Every message is planned. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { AgentName, Text } from "../shared/fields.ts"

export const Mentor = Protocol.make("MENTOR", [
  Protocol.planned("explain", {
    doc: "a finding explained in plain language",
    access: "read",
    capability: "explanations",
    fields: {
      finding: Text,
      agent: Schema.optionalKey(AgentName)
    }
  }),
  Protocol.planned("remediation", {
    doc: "the steps that resolve a finding",
    access: "read",
    capability: "remediation",
    fields: {
      finding: Text,
      agent: Schema.optionalKey(AgentName)
    }
  })
])
