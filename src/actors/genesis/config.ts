/**
 * GENESIS's defaults: what a home NAS owner expects from a first setup. A
 * Context.Reference, so tests and `selftest` get these values; the daemon
 * follows the configuration file's `scrub_schedule` and `snapshot_schedule`
 * (src/daemon/AgentConfigs.ts), so the plan schedules what LATTICE and HELIX
 * would. The pool and dataset names have no file keys yet.
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
  /** When the pool is scrubbed (ORBIT's cron syntax); undefined (`scrub_schedule = none`): the plan schedules no scrub. */
  readonly scrubCron: string | undefined
  /** Register HELIX's scheduled snapshot run (false with `snapshot_schedule = none`). */
  readonly scheduleSnapshots: boolean
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
  scrubCron: "0 3 1 * *",
  scheduleSnapshots: true
}

export const GenesisConfig = Context.Reference<GenesisConfigShape>("sigmavault/actors/genesis/GenesisConfig", {
  defaultValue: () => defaultGenesisConfig
})
