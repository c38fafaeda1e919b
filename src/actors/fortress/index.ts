import type { HostProbe } from "../../adapters/hostprobe/HostProbe.ts"
import type { StateStore } from "../../adapters/state/StateStore.ts"
import { define } from "../../runtime/Agent.ts"
import { fortressCapabilities, fortressMachine } from "./machine.ts"
import { Fortress } from "./messages.ts"

export const fortressAgent = define<HostProbe | StateStore>({
  protocol: Fortress,
  tier: "2",
  description: "Security audit: listening sockets, sshd's effective settings, SMB guest access, NFS root squashing, share path modes, the daemon's own file modes",
  capabilities: fortressCapabilities,
  machine: fortressMachine
})
