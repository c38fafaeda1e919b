import type { Disks } from "../../adapters/disks/Disks.ts"
import type { Files } from "../../adapters/fs/Files.ts"
import type { Zfs } from "../../adapters/zfs/Zfs.ts"
import { define } from "../../runtime/Agent.ts"
import { genesisCapabilities, genesisMachine } from "./machine.ts"
import { Genesis } from "./messages.ts"

export { GenesisConfig, type GenesisConfigShape } from "./config.ts"

export const genesisAgent = define<Disks | Zfs | Files>({
  protocol: Genesis,
  tier: "3",
  description: "First-run setup: finds unpooled disks (lsblk minus ZFS leaves, by-id names, ORACLE's health), asks ARCHITECT for a layout, " +
    "and produces one dry-run APEX plan (pool, datasets, shares, snapshots, scrub) for the administrator to confirm",
  capabilities: genesisCapabilities,
  machine: genesisMachine
})
