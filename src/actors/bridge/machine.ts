import { plannedCapability, plannedMachine } from "../shared/planned.ts"
import type { BridgeMessage } from "./messages.ts"

const shareManagement = plannedCapability(
  "share-management",
  "adds, lists and removes SMB and NFS shares, with the config rendered by FORGE"
)
const serviceReload = plannedCapability(
  "service-reload",
  "reloads Samba (smbcontrol) and NFS (exportfs -ra) after a change"
)

export const bridgeCapabilities = [shareManagement, serviceReload]

export const bridgeMachine = plannedMachine<BridgeMessage>({
  shares: shareManagement,
  "add-share": shareManagement,
  "remove-share": shareManagement,
  reload: serviceReload
})
