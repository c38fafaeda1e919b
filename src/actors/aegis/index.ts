import type { AccessPolicy } from "../../access/Policy.ts"
import { define } from "../../runtime/Agent.ts"
import { aegisCapabilities, aegisMachine } from "./machine.ts"
import { Aegis } from "./messages.ts"

export const aegisAgent = define<AccessPolicy>({
  protocol: Aegis,
  tier: "5-8",
  description: "Access control: caller identity (uid/gid, D-Bus sender) to permitted agents/messages",
  capabilities: aegisCapabilities,
  machine: aegisMachine
})
