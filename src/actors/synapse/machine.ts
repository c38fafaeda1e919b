import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { SynapseMessage } from "./messages.ts"

const controlSocket = plannedCapability(
  "control-socket",
  "serves the Unix control socket (length-prefixed msgpack frames) and routes requests to agents"
)
const dbus = plannedCapability("dbus", "exports org.sigmavault.Runtime1 and one object per agent on D-Bus")
const gatewayStatus = plannedCapability(
  "gateway-status",
  "lists the socket and D-Bus endpoints and the clients connected to them"
)

export const synapseCapabilities = [controlSocket, dbus, gatewayStatus]

export const synapseMachine = plannedMachine<SynapseMessage>({ endpoints: gatewayStatus, connections: gatewayStatus })
