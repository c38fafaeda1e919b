/**
 * SYNAPSE reports the daemon's external endpoints through the Gateway port:
 * the control socket (served by the runtime's gateway, which routes requests
 * into the agents) and, later, D-Bus.
 */
import { Effect } from "effect"
import { emit, setup } from "xstate"
import { Gateway } from "../../adapters/socket/Gateway.ts"
import { AgentEnv, type AgentEmitted, replyWith } from "../../runtime/Agent.ts"
import { plannedCapability } from "../shared/planned.ts"
import type { SynapseMessage } from "./messages.ts"

const dbus = plannedCapability("dbus", "exports org.sigmavault.Runtime1 and one object per agent on D-Bus")

export const synapseCapabilities = [
  {
    name: "control-socket",
    available: true,
    detail: "the Unix control socket (length-prefixed msgpack frames, docs/protocol.md) routes external requests to agents"
  },
  dbus,
  { name: "gateway-status", available: true, detail: "lists the endpoints and the clients connected to them" }
]

export const synapseMachine = Effect.gen(function*() {
  const { self, fromEffect } = yield* AgentEnv
  const gateway = yield* Gateway
  return setup({
    types: { events: {} as SynapseMessage, emitted: {} as AgentEmitted },
    actors: { endpoints: fromEffect(() => gateway.endpoints) }
  }).createMachine({
    id: self,
    initial: "idle",
    states: {
      idle: {
        on: {
          endpoints: "listing",
          connections: "counting"
        }
      },
      listing: {
        invoke: {
          src: "endpoints",
          onDone: {
            target: "idle",
            actions: emit(({ event }) => replyWith(event.output))
          }
        }
      },
      counting: {
        invoke: {
          src: "endpoints",
          onDone: {
            target: "idle",
            actions: emit(({ event }) =>
              replyWith({ total: event.output.reduce((sum, e) => sum + e.connections, 0), byEndpoint: event.output })
            )
          }
        }
      }
    }
  })
})
