import { define } from "../../runtime/Agent.ts"
import { plannedCapability } from "../shared/planned.ts"
import { Aegis } from "./messages.ts"

const authorization = plannedCapability(
  "authorization",
  "decides whether a caller (uid/gid from the socket's peer credentials, or a D-Bus sender) may send a message type to an agent"
)
const policy = plannedCapability("policy", "shows the access policy: which callers may read and which may change what")

export const aegisAgent = define({
  protocol: Aegis,
  tier: "5-8",
  description: "Access control: caller identity (uid/gid, D-Bus sender) to permitted agents/messages",
  capabilities: [authorization, policy]
})
