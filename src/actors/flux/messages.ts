/** FLUX's protocol: the single source of its message schemas, access classes and (once built) replies. Every message is planned. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { AgentCall, Name, Text } from "../shared/fields.ts"

export const Flux = Protocol.make("FLUX", [
  Protocol.planned("rules", {
    doc: "the automation rules",
    access: "read",
    capability: "rules"
  }),
  Protocol.planned("add-rule", {
    doc: "adds a rule: when EVENT if CONDITION do a message to an agent",
    access: "admin",
    capability: "rules",
    fields: {
      name: Name,
      when: Text,
      if: Schema.optionalKey(Text),
      do: AgentCall
    }
  }),
  Protocol.planned("remove-rule", {
    doc: "removes a rule",
    access: "admin",
    capability: "rules",
    fields: {
      name: Name
    }
  })
])
