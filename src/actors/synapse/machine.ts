/**
 * SYNAPSE reports the daemon's external endpoints through the Gateway port:
 * the control socket and D-Bus, which route requests into the agents.
 */
import { Effect } from "effect"
import { Gateway } from "../../adapters/socket/Gateway.ts"
import type { Capability } from "../../runtime/Agent.ts"
import { serviceMachine } from "../shared/serve.ts"
import { Synapse } from "./messages.ts"

export const synapseCapabilities: ReadonlyArray<Capability> = [
  {
    name: "control-socket",
    available: true,
    detail: "the Unix control socket (length-prefixed msgpack frames, docs/protocol.md) routes external requests to agents"
  },
  {
    name: "dbus",
    available: true,
    detail: "exports org.sigmavault.Runtime1 and one object per agent on the system or session bus (docs/dbus.md)"
  },
  { name: "gateway-status", available: true, detail: "lists the endpoints and the clients connected to them" }
]

export const synapseMachine = Effect.gen(function*() {
  const gateway = yield* Gateway
  return yield* serviceMachine(Synapse, {
    handlers: {
      endpoints: () => gateway.endpoints,
      connections: () =>
        Effect.map(gateway.endpoints, (byEndpoint) => ({
          total: byEndpoint.reduce((sum, e) => sum + e.connections, 0),
          byEndpoint
        }))
    }
  })
})
