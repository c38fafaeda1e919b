/** PHANTOM's protocol: the single source of its message schemas, access classes and (once built) replies. Every message is planned. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { Name } from "../shared/fields.ts"

const Cidr = Schema.String.check(
  Schema.isPattern(/^[0-9A-Fa-f:.]+\/[0-9]{1,3}$/, { expected: "an address range in CIDR notation, e.g. 10.8.0.2/32" })
)

export const Phantom = Protocol.make("PHANTOM", [
  Protocol.planned("peers", {
    doc: "WireGuard peers: endpoint, last handshake, transfer",
    access: "read",
    capability: "status"
  }),
  Protocol.planned("add-peer", {
    doc: "creates a peer with fresh keys",
    access: "admin",
    capability: "peer-management",
    fields: {
      name: Name,
      allowedIps: Schema.optionalKey(Schema.NonEmptyArray(Cidr))
    }
  }),
  Protocol.planned("remove-peer", {
    doc: "removes a peer",
    access: "admin",
    capability: "peer-management",
    fields: {
      name: Name
    }
  }),
  Protocol.planned("peer-config", {
    doc: "a peer's client configuration (it holds the peer's private key)",
    access: "admin",
    capability: "client-config",
    fields: {
      name: Name,
      qr: Schema.optionalKey(Schema.Boolean)
    }
  })
])
