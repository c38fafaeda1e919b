/** AEGIS's protocol: the single source of its message schemas, access classes and (once built) replies. Every message is planned. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { AgentName, NonNegativeInt, Text } from "../shared/fields.ts"

export const Aegis = Protocol.make("AEGIS", [
  Protocol.planned("authorize", {
    doc: "whether a caller (uid, gid, D-Bus sender) may send a message type to an agent, and why",
    access: "read",
    capability: "authorization",
    fields: {
      uid: NonNegativeInt,
      gid: Schema.optionalKey(NonNegativeInt),
      sender: Schema.optionalKey(Text),
      agent: AgentName,
      messageType: Text
    }
  }),
  Protocol.planned("policy", {
    doc: "the access policy: roles, the groups they map to, and what each may do",
    access: "read",
    capability: "policy"
  })
])
