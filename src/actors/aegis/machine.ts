import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { AegisMessage } from "./messages.ts"

const authorization = plannedCapability(
  "authorization",
  "decides whether a caller (uid/gid from the socket's peer credentials, or a D-Bus sender) may send a message type to an agent"
)
const policy = plannedCapability("policy", "shows the access policy: which callers may read and which may change what")

export const aegisCapabilities = [authorization, policy]

export const aegisMachine = plannedMachine<AegisMessage>({ authorize: authorization, policy })
