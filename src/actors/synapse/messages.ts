/** SYNAPSE's protocol: the single source of its message schemas, replies, rejections and access classes. */
import { Schema } from "effect"
import { Endpoint } from "../../adapters/socket/Gateway.ts"
import * as Protocol from "../../runtime/Protocol.ts"

export const Synapse = Protocol.make("SYNAPSE", [
  Protocol.message("endpoints", {
    doc: "where the daemon listens (control socket, D-Bus) and how many clients each has",
    access: "read",
    reply: Schema.Array(Endpoint)
  }),
  Protocol.message("connections", {
    doc: "the clients connected now, in total and per endpoint",
    access: "read",
    reply: Schema.Struct({ total: Schema.Int, byEndpoint: Schema.Array(Endpoint) })
  })
])
