/** PHOTON's protocol: the single source of its message schemas, access classes and (once built) replies. Every message is planned. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"

const InterfaceName = Schema.String.check(
  Schema.isPattern(/^[A-Za-z0-9_.:@-]{1,15}$/, { expected: "a network interface name, e.g. eth0 or enp3s0" })
)

export const Photon = Protocol.make("PHOTON", [
  Protocol.planned("interfaces", {
    doc: "every network interface: link, speed, throughput, errors",
    access: "read",
    capability: "interface-stats"
  }),
  Protocol.planned("interface", {
    doc: "one network interface",
    access: "read",
    capability: "interface-stats",
    fields: {
      name: InterfaceName
    }
  })
])
