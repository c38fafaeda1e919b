import type { Files } from "../../adapters/fs/Files.ts"
import type { Shares } from "../../adapters/shares/Shares.ts"
import type { StateStore } from "../../adapters/state/StateStore.ts"
import { define } from "../../runtime/Agent.ts"
import { bridgeCapabilities, bridgeMachine } from "./machine.ts"
import { Bridge } from "./messages.ts"

export { BridgeConfig, defaultBridgeConfig } from "./config.ts"

export const bridgeAgent = define<Shares | Files | StateStore>({
  protocol: Bridge,
  tier: "5-8",
  description: "SMB/NFS shares: its database in the state directory, applied through FORGE (net conf registry shares, exports files), reloads without restarts (smbcontrol, exportfs -ra), drift",
  capabilities: bridgeCapabilities,
  machine: bridgeMachine
})
