import { Schema } from "effect"

const InterfaceName = Schema.String.check(
  Schema.isPattern(/^[A-Za-z0-9_.:@-]{1,15}$/, { expected: "a network interface name, e.g. eth0 or enp3s0" })
)

export const PhotonMessages = Schema.Union([
  Schema.Struct({ type: Schema.Literal("interfaces") }),
  Schema.Struct({ type: Schema.Literal("interface"), name: InterfaceName })
])
export type PhotonMessage = typeof PhotonMessages.Type
