import { define } from "../../runtime/Agent.ts"
import { plannedCapability } from "../shared/planned.ts"
import { Bridge } from "./messages.ts"

const shareManagement = plannedCapability(
  "share-management",
  "adds, lists and removes SMB and NFS shares, with the config rendered by FORGE"
)
const serviceReload = plannedCapability(
  "service-reload",
  "reloads Samba (smbcontrol) and NFS (exportfs -ra) after a change"
)

export const bridgeAgent = define({
  protocol: Bridge,
  tier: "5-8",
  description: "SMB/NFS share management through FORGE, with reloads (smbcontrol, exportfs)",
  capabilities: [shareManagement, serviceReload]
})
