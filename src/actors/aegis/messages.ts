/** AEGIS's protocol: who the caller is to the daemon, why a request would be allowed or refused, and the policy. */
import { Schema } from "effect"
import { PolicyView, Standing } from "../../access/Policy.ts"
import { Caller } from "../../runtime/Caller.ts"
import * as Protocol from "../../runtime/Protocol.ts"
import { Access } from "../../runtime/Status.ts"
import { AgentName, Text } from "../shared/fields.ts"

export const WhoAmI = Schema.Struct({ ...Caller.fields, ...Standing.fields })

export const Explanation = Schema.Struct({
  allowed: Schema.Boolean,
  /** What the message needs. */
  needed: Access,
  ...Standing.fields,
  /** One sentence: why it would be allowed or refused. */
  reason: Schema.String
})

export class NoSuchMessage extends Schema.TaggedError<NoSuchMessage>()("NoSuchMessage", {
  agent: Schema.String,
  messageType: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return this.reason
  }
}

export const Aegis = Protocol.make("AEGIS", [
  Protocol.message("whoami", {
    doc: "who the caller is to the daemon: uid, groups, how it called, and its access class with the reason",
    access: "read",
    reply: WhoAmI
  }),
  Protocol.message("explain", {
    doc: "whether the caller may send a message type to an agent, and why",
    access: "read",
    fields: { agent: AgentName, messageType: Text },
    reply: Explanation,
    rejections: [NoSuchMessage]
  }),
  Protocol.message("policy", {
    doc: "the access policy: who is admin by nature, and each role's groups",
    access: "read",
    reply: PolicyView
  })
])
