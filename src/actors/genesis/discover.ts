/**
 * Which disks are free for a first pool: lsblk's whole disks minus every disk
 * holding a ZFS leaf (`zpool status -j` names leaves as kernel names, /dev
 * paths or /dev/disk/by-id links, often of a partition), minus disks that are
 * mounted (the root filesystem, swap), hold a filesystem, a partition table
 * with partitions, an unimported pool's member, or an LVM/RAID/crypt holder.
 * Each leaf is resolved to a kernel device through the by-id links udev made,
 * then to the whole disk it is on: a pooled partition marks its disk as used.
 * Pure: the machine reads lsblk, the pools and the by-id directory.
 */
import { type BlockDevice, flattenDevices, mediumOf } from "../../adapters/disks/Disks.ts"
import type { PoolStatus, Vdev } from "../../adapters/zfs/Zfs.ts"
import type { DiskKind } from "../architect/messages.ts"
import type { DiskHealth, FreeDisk, LeftOut } from "./messages.ts"

/** One entry of /dev/disk/by-id: the link's full path and the kernel name it points to ("sda", "sda1"). */
export interface ByIdLink {
  readonly link: string
  readonly target: string
}

export interface Unpooled {
  readonly free: ReadonlyArray<{ readonly device: BlockDevice; readonly byId: string | undefined; readonly kind: DiskKind }>
  readonly used: ReadonlyArray<LeftOut>
  /** ZFS leaves that match no block device (a file vdev, an absent disk). */
  readonly unresolved: ReadonlyArray<string>
}

const GiB = 1024 ** 3
const basename = (path: string) => path.slice(path.lastIndexOf("/") + 1)

/** The kernel name a by-id link target names: "../../sda1" → "sda1". */
export const targetName = (target: string) => basename(target)


/** Whole disks a pool could be built on at all (ARCHITECT's rule): fixed, 1 GiB or more, not a RAM, loop or optical device. */
const candidateReason = (device: BlockDevice): string | undefined | "ignore" => {
  if (device.type !== "disk" || /^(zram|ram|loop|sr|fd)\d/.test(device.name)) return "ignore"
  if (device.removable) return "a removable (hot-plug) disk: not offered for a pool"
  if (device.readOnly) return "read-only"
  if (device.sizeBytes < GiB) return "smaller than 1 GiB"
  return undefined
}

/** by-id names a person can read come first (the model and serial), then WWNs and EUIs. */
const rank = (name: string) =>
  /^(ata|nvme|scsi|usb|mmc)-/.test(name) && !/^nvme-(eui|nvme)\./.test(name) ? 0 : name.startsWith("wwn-") ? 1 : 2

/** The stable path for a whole disk: its best by-id link, if udev made one. */
export const byIdOf = (links: ReadonlyArray<ByIdLink>, kernelName: string): string | undefined =>
  links
    .filter((l) => targetName(l.target) === kernelName && !/-part\d+$/.test(basename(l.link)))
    .sort((a, b) => rank(basename(a.link)) - rank(basename(b.link)) || basename(a.link).localeCompare(basename(b.link)))[0]?.link


/** The whole disk a ZFS leaf lives on: through a by-id link, a kernel name or /dev path, or the serial/WWN a by-id name embeds. */
export const diskOfLeaf = (devices: ReadonlyArray<BlockDevice>, links: ReadonlyArray<ByIdLink>, leaf: string): BlockDevice | undefined => {
  const flat = flattenDevices(devices)
  const base = basename(leaf)
  const link = links.find((l) => l.link === leaf || basename(l.link) === base)
  const name = link === undefined ? base : targetName(link.target)
  const direct = flat.find(({ device }) => device.name === name || device.path === leaf)
  if (direct !== undefined) return direct.disk
  // A by-id name whose link is gone (or a pool imported with -d elsewhere): match the serial or WWN it embeds.
  const stem = base.replace(/-part\d+$/, "")
  return devices.find((d) =>
    d.type === "disk" && (
      (d.serial !== undefined && d.serial.length >= 4 && stem.endsWith(d.serial.replaceAll(" ", "_"))) ||
      (d.wwn !== undefined && stem.toLowerCase() === `wwn-${d.wwn.toLowerCase()}`)
    )
  )
}

const leaves = (vdev: Vdev): Array<Vdev> => (vdev.children.length === 0 ? [vdev] : vdev.children.flatMap(leaves))

/** Why a disk (or something on it) is busy outside ZFS's imported pools, or undefined. */
const busyReason = (disk: BlockDevice): string | undefined => {
  const all = flattenDevices([disk]).map((f) => f.device)
  const root = all.find((d) => d.mountpoints.includes("/"))
  if (root !== undefined) return `holds the root filesystem (${root.path} is mounted at /)`
  const swap = all.find((d) => d.mountpoints.some((m) => m === "[SWAP]"))
  if (swap !== undefined) return `${swap.path} is in use as swap`
  const mounted = all.find((d) => d.mountpoints.length > 0)
  if (mounted !== undefined) return `${mounted.path} is mounted at ${mounted.mountpoints[0]}`
  const member = all.find((d) => d.fstype === "zfs_member")
  if (member !== undefined) {
    return `holds a member of ZFS pool ${member.label ?? "(unnamed)"} that is not imported: import it, or clear it (zpool labelclear) if it is old`
  }
  const holder = all.find((d) => d !== disk && ["lvm", "crypt", "dm", "md", "mpath"].some((t) => d.type === t || d.type.startsWith("raid")))
  if (holder !== undefined) return `is part of ${holder.type} ${holder.name}`
  const formatted = all.find((d) => d.fstype !== undefined)
  if (formatted !== undefined) return `${formatted.path} holds a ${formatted.fstype} filesystem (GENESIS never wipes a disk)`
  const parts = disk.children.filter((c) => c.type === "part")
  if (parts.length > 0) return `has partitions (${parts.map((p) => p.name).join(", ")}): GENESIS never wipes a disk`
  return undefined
}

export const unpooled = (
  devices: ReadonlyArray<BlockDevice>,
  pools: ReadonlyArray<PoolStatus>,
  links: ReadonlyArray<ByIdLink>
): Unpooled => {
  const pooled = new Map<BlockDevice, string>()
  const unresolved: Array<string> = []
  for (const pool of pools) {
    for (const leaf of pool.vdevs.flatMap(leaves)) {
      const name = leaf.path ?? leaf.name
      const disk = diskOfLeaf(devices, links, name) ?? diskOfLeaf(devices, links, leaf.name)
      if (disk === undefined) unresolved.push(`${pool.name}: ${name}`)
      else if (!pooled.has(disk)) pooled.set(disk, `in pool ${pool.name} (as ${name})`)
    }
  }
  const free: Array<Unpooled["free"][number]> = []
  const used: Array<LeftOut> = []
  for (const device of devices) {
    const not = candidateReason(device)
    if (not === "ignore") continue
    const reason = pooled.get(device) ?? not ?? busyReason(device)
    if (reason !== undefined) used.push({ device: device.path, reason })
    else free.push({ device, byId: byIdOf(links, device.name), kind: mediumOf(device) })
  }
  return { free, used, unresolved }
}

/** ORACLE's `assess` answer, as far as GENESIS reads it. */
export interface Assessed {
  readonly disks: ReadonlyArray<{ readonly device: string; readonly serial?: string | undefined; readonly level: DiskHealth["level"]; readonly evidence: ReadonlyArray<{ readonly text: string }> }>
  readonly unreadable: ReadonlyArray<{ readonly device: string; readonly reason: string }>
}

/** Whether ORACLE's device (/dev/sda, /dev/nvme0 for a controller) is this disk. */
const sameDevice = (oracleDevice: string, disk: BlockDevice) => {
  const name = basename(oracleDevice)
  return oracleDevice === disk.path || name === disk.name || (name.startsWith("nvme") && new RegExp(`^${name}n\\d+$`).test(disk.name))
}

/** A free disk's health from ORACLE's answer: matched by serial, else by device; unknown (with why) when ORACLE could not say. */
export const healthOf = (assessed: Assessed | string, disk: BlockDevice): DiskHealth => {
  if (typeof assessed === "string") return { level: "unknown", detail: `ORACLE could not assess disks: ${assessed}` }
  const serial = disk.serial?.trim()
  const found = assessed.disks.find((d) => serial !== undefined && d.serial !== undefined && d.serial.trim() === serial) ??
    assessed.disks.find((d) => sameDevice(d.device, disk))
  if (found !== undefined) {
    const detail = found.evidence.map((e) => e.text).join("; ")
    return { level: found.level, detail: detail === "" ? "SMART shows nothing of concern" : detail }
  }
  const unreadable = assessed.unreadable.find((u) => sameDevice(u.device, disk))
  if (unreadable !== undefined) return { level: "unknown", detail: `smartctl could not read it: ${unreadable.reason}` }
  return { level: "unknown", detail: "ORACLE did not list it (smartctl --scan-open did not find it)" }
}

/** ORACLE calls a disk failing at warn (growing defects, pending sectors) or critical (SMART FAILED, spare exhausted). */
export const failing = (health: DiskHealth) => health.level === "warn" || health.level === "critical"

export const freeDisk = (entry: Unpooled["free"][number], health: DiskHealth): FreeDisk => ({
  device: entry.device.path,
  byId: entry.byId,
  sizeBytes: entry.device.sizeBytes,
  kind: entry.kind,
  model: entry.device.model,
  serial: entry.device.serial,
  rotational: entry.device.rotational,
  health
})
