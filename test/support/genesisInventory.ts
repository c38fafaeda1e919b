/**
 * Disk inventories for GENESIS's tests, e2e and benchmark: n blank SATA HDDs
 * (ARCHITECT's 4 TB disks, sda…), their by-id links as udev makes them, and
 * an lsblk JSON document of the same machine (with a root disk) for the
 * compiled daemon's lsblk stand-in.
 */
import type { BlockDevice } from "../../src/adapters/disks/Disks.ts"
import type { ByIdLink } from "../../src/actors/genesis/discover.ts"

export const TB4 = 4_000_787_030_016

export const letter = (i: number) => (i < 26 ? String.fromCharCode(97 + i) : `a${String.fromCharCode(97 + i - 26)}`)

export const serialOf = (i: number) => `WD-WCC7K${String(i).padStart(2, "0")}ABCDE`
export const wwnOf = (i: number) => `0x50014ee2b${String(i).padStart(2, "0")}0ffee`

export const blankDisk = (i: number, overrides: Partial<BlockDevice> = {}): BlockDevice => ({
  name: `sd${letter(i)}`,
  path: `/dev/sd${letter(i)}`,
  type: "disk",
  sizeBytes: TB4,
  rotational: true,
  transport: "sata",
  model: "WDC WD40EFRX-68N32N0",
  serial: serialOf(i),
  wwn: wwnOf(i),
  mountpoints: [],
  removable: false,
  readOnly: false,
  children: [],
  ...overrides
})

export const partition = (disk: BlockDevice, n: number, overrides: Partial<BlockDevice> = {}): BlockDevice => ({
  name: `${disk.name}${n}`,
  path: `${disk.path}${n}`,
  type: "part",
  sizeBytes: Math.floor(disk.sizeBytes / 2),
  mountpoints: [],
  removable: false,
  readOnly: false,
  children: [],
  ...overrides
})

/** The system disk every machine has: a virtio disk with / on its first partition. */
export const rootDisk = (): BlockDevice => {
  const disk: BlockDevice = { name: "vda", path: "/dev/vda", type: "disk", sizeBytes: 32 * 1024 ** 3, rotational: true, mountpoints: [], removable: false, readOnly: false, children: [] }
  return { ...disk, children: [partition(disk, 1, { fstype: "ext4", mountpoints: ["/"] })] }
}

export const byIdName = (i: number) => `ata-WDC_WD40EFRX-68N32N0_${serialOf(i)}`

/** udev's links for the blank disks: ata- and wwn- names for each disk and each partition. */
export const linksFor = (devices: ReadonlyArray<BlockDevice>, dir = "/dev/disk/by-id"): Array<ByIdLink> =>
  devices.flatMap((d) => {
    if (d.serial === undefined) return []
    const ata = `ata-WDC_WD40EFRX-68N32N0_${d.serial}`
    const wwn = d.wwn === undefined ? [] : [`wwn-${d.wwn}`]
    const whole = [ata, ...wwn].map((name) => ({ link: `${dir}/${name}`, target: `../../${d.name}` }))
    const parts = d.children.flatMap((c, i) => [ata, ...wwn].map((name) => ({ link: `${dir}/${name}-part${i + 1}`, target: `../../${c.name}` })))
    return [...whole, ...parts]
  })

/** `lsblk -J -b -O` as util-linux 2.38 prints it (the keys GENESIS reads), for the daemon's stand-in. */
export const lsblkJson = (devices: ReadonlyArray<BlockDevice>): string => {
  const row = (d: BlockDevice): Record<string, unknown> => ({
    name: d.name,
    kname: d.name,
    path: d.path,
    type: d.type,
    size: d.sizeBytes,
    rota: d.rotational ?? null,
    tran: d.transport ?? null,
    model: d.model ?? null,
    serial: d.serial ?? null,
    wwn: d.wwn ?? null,
    fstype: d.fstype ?? null,
    label: d.label ?? null,
    uuid: d.uuid ?? null,
    mountpoint: d.mountpoints[0] ?? null,
    mountpoints: d.mountpoints.length === 0 ? [null] : d.mountpoints,
    rm: d.removable,
    hotplug: false,
    ro: d.readOnly,
    ...(d.children.length === 0 ? {} : { children: d.children.map(row) })
  })
  return JSON.stringify({ blockdevices: devices.map(row) }, null, 2)
}
