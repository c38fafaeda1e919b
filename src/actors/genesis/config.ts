/**
 * GENESIS's defaults: what a home NAS owner expects from a first setup. A
 * Context.Reference, so the daemon, tests and `selftest` get these values;
 * there are no configuration-file keys yet (docs/setup.md says how to change
 * the plan: it is data, and APEX runs any plan the administrator edits).
 */
import { Context } from "effect"

export interface SetupDataset {
  /** The dataset under the pool: "home" makes tank/home. */
  readonly name: string
  /** `zfs create -o` properties. */
  readonly properties: Readonly<Record<string, string>>
  /** The SMB share's comment. */
  readonly comment: string
}

export interface GenesisConfigShape {
  /** Where udev keeps the stable disk names (read from here; the plan names them /dev/disk/by-id/<name>, as zpool sees them). */
  readonly byIdDir: string
  readonly pool: string
  readonly datasets: ReadonlyArray<SetupDataset>
  /** Daily snapshots kept, for the pool and every dataset under it. */
  readonly dailySnapshots: number
  /** When the pool is scrubbed (ORBIT's cron syntax). */
  readonly scrubCron: string
}

export const defaultGenesisConfig: GenesisConfigShape = {
  byIdDir: "/dev/disk/by-id",
  pool: "tank",
  datasets: [
    { name: "home", properties: { compression: "lz4" }, comment: "Home folders" },
    { name: "media", properties: { compression: "lz4", recordsize: "1M" }, comment: "Photos, music and films" },
    { name: "backup", properties: { compression: "lz4" }, comment: "Backups of the family's computers" }
  ],
  dailySnapshots: 14,
  scrubCron: "0 3 1 * *"
}

export const GenesisConfig = Context.Reference<GenesisConfigShape>("sigmavault/actors/genesis/GenesisConfig", {
  defaultValue: () => defaultGenesisConfig
})
