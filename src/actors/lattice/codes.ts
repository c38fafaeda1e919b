/**
 * The codes on LATTICE's alerts. A pool-state alert carries zpool's own
 * message id when zpool gives one (its `see:` line, "ZFS-8000-2Q"); the
 * statuses without one (a resilver, an offlined or removed disk, a pool
 * coming back ONLINE) carry LATTICE's code for the pool's state. Pure data.
 */
import { type FindingCode, findingCode } from "../shared/findings.ts"

/** The ids zpool can print (libzfs_status.c `zfs_msgid_table`): what LATTICE passes on from `zpool status -j`. */
export const ZFS_MSGIDS = [
  ["ZFS-8000-14", "the ZFS cache file is corrupt: pools listed there were not opened"],
  ["ZFS-8000-2Q", "a device is missing from a pool that still has redundancy"],
  ["ZFS-8000-3C", "a device is missing from a pool without redundancy: the pool is unavailable"],
  ["ZFS-8000-4J", "a device's label is corrupt in a pool that still has redundancy"],
  ["ZFS-8000-5E", "a device's label is corrupt in a pool without redundancy"],
  ["ZFS-8000-6X", "a whole top-level device of the pool is missing"],
  ["ZFS-8000-72", "the pool's metadata is corrupt"],
  ["ZFS-8000-8A", "files or metadata have permanent errors (no good copy left)"],
  ["ZFS-8000-9P", "a device had read, write or checksum errors that ZFS repaired from redundancy"],
  ["ZFS-8000-A5", "the pool's on-disk version is newer than this ZFS supports"],
  ["ZFS-8000-EY", "the pool was last used by another system"],
  ["ZFS-8000-HC", "the pool is suspended by I/O failures; all I/O waits (failmode=wait)"],
  ["ZFS-8000-JQ", "the pool is suspended by I/O failures; writes fail (failmode=continue)"],
  ["ZFS-8000-MM", "the pool is suspended: multihost (MMP) writes failed"],
  ["ZFS-8000-K4", "the pool's intent log could not be read"],
  ["ZFS-8000-ER", "the pool is affected by a known ZFS erratum"]
] as const

export const POOL_STATES = ["ONLINE", "DEGRADED", "FAULTED", "OFFLINE", "UNAVAIL", "REMOVED", "SUSPENDED"] as const
export const VDEV_STATES = ["ONLINE", "DEGRADED", "FAULTED", "OFFLINE", "UNAVAIL", "REMOVED", "SPLIT"] as const

/** A pool's state as a code: LATTICE-POOL-DEGRADED; a state zpool may add later is LATTICE-POOL-UNKNOWN. */
export const poolStateCode = (state: string): string =>
  (POOL_STATES as ReadonlyArray<string>).includes(state) ? `LATTICE-POOL-${state}` : "LATTICE-POOL-UNKNOWN"
export const vdevStateCode = (state: string): string =>
  (VDEV_STATES as ReadonlyArray<string>).includes(state) ? `LATTICE-VDEV-${state}` : "LATTICE-VDEV-UNKNOWN"

export const codes: ReadonlyArray<FindingCode> = [
  ...ZFS_MSGIDS.map(([code, title]) => findingCode(code, "zfs", title)),
  findingCode("LATTICE-POOL-ONLINE", "lattice", "the pool is ONLINE again"),
  findingCode("LATTICE-POOL-DEGRADED", "lattice", "the pool is DEGRADED: it works, with less (or no) redundancy"),
  findingCode("LATTICE-POOL-FAULTED", "lattice", "the pool is FAULTED: it cannot be used"),
  findingCode("LATTICE-POOL-OFFLINE", "lattice", "the pool is OFFLINE"),
  findingCode("LATTICE-POOL-UNAVAIL", "lattice", "the pool is UNAVAIL: its devices cannot be opened"),
  findingCode("LATTICE-POOL-REMOVED", "lattice", "the pool's devices were removed"),
  findingCode("LATTICE-POOL-SUSPENDED", "lattice", "the pool is SUSPENDED after I/O failures"),
  findingCode("LATTICE-POOL-UNKNOWN", "lattice", "the pool is in a state LATTICE does not know"),
  findingCode("LATTICE-POOL-GONE", "lattice", "a pool LATTICE watched is no longer imported"),
  findingCode("LATTICE-VDEV-ONLINE", "lattice", "a device of the pool is ONLINE again"),
  findingCode("LATTICE-VDEV-DEGRADED", "lattice", "a device (or vdev) of the pool is DEGRADED"),
  findingCode("LATTICE-VDEV-FAULTED", "lattice", "a device of the pool is FAULTED after too many errors"),
  findingCode("LATTICE-VDEV-OFFLINE", "lattice", "a device of the pool was taken offline"),
  findingCode("LATTICE-VDEV-UNAVAIL", "lattice", "a device of the pool cannot be opened"),
  findingCode("LATTICE-VDEV-REMOVED", "lattice", "a device of the pool was physically removed"),
  findingCode("LATTICE-VDEV-SPLIT", "lattice", "a device was split off the pool into another pool"),
  findingCode("LATTICE-VDEV-UNKNOWN", "lattice", "a device of the pool is in a state LATTICE does not know"),
  findingCode("LATTICE-VDEV-ERRORS", "lattice", "a device's read, write or checksum error counters rose"),
  findingCode("LATTICE-CAPACITY-WARN", "lattice", "the pool is filling up: at or above the warn level"),
  findingCode("LATTICE-CAPACITY-HIGH", "lattice", "the pool is nearly full: at or above the high level"),
  findingCode("LATTICE-CAPACITY-CRITICAL", "lattice", "the pool is full or almost: at or above the critical level"),
  findingCode("LATTICE-CAPACITY-OK", "lattice", "the pool's used space fell back below a level"),
  findingCode("LATTICE-SCRUB-CLEAN", "lattice", "a scrub finished without errors"),
  findingCode("LATTICE-SCRUB-ERRORS", "lattice", "a scrub finished with errors"),
  findingCode("LATTICE-RESILVER-DONE", "lattice", "a resilver finished without errors"),
  findingCode("LATTICE-RESILVER-ERRORS", "lattice", "a resilver finished with errors")
]
