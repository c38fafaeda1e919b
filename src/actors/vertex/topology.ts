/**
 * VERTEX's model: the storage graph disk → partition → vdev → pool → dataset
 * → mountpoint, and what a disk's death does given the redundancy above it.
 * Edges point from what depends to what it depends on. ZFS leaf names come
 * in many forms ("sda", "sda1", "/dev/sda1", by-id and by-partuuid links, a
 * file); they are matched against lsblk's devices by name, path, serial, WWN
 * and partition UUID, and a leaf that matches nothing is kept and reported.
 */
import { type BlockDevice, flattenDevices, type PlacedDevice } from "../../adapters/disks/Disks.ts"
import type { Dataset, PoolStatus, Vdev, VdevClass } from "../../adapters/zfs/Zfs.ts"
import type { Impact, NodeKind, Outcome, PoolImpact, ShareImpact, SharePlace, TopologyNode } from "./messages.ts"

export type { Impact, NodeKind, Outcome, PoolImpact, ShareImpact, SharePlace, TopologyNode } from "./messages.ts"

/** A share as BRIDGE exports it. */
export interface ShareInput {
  readonly protocol: "smb" | "nfs"
  readonly name: string
  readonly path: string
}

export interface Topology {
  readonly nodes: ReadonlyArray<TopologyNode>
  readonly edges: ReadonlyArray<{ readonly from: string; readonly to: string }>
  /** ZFS leaf devices no block device matched (by-id links of absent disks, files). */
  readonly unresolved: ReadonlyArray<string>
  /** Kept for `impact`: the pools as read. */
  readonly pools: ReadonlyArray<PoolStatus>
  readonly devices: ReadonlyArray<BlockDevice>
  readonly datasets: ReadonlyArray<Dataset>
  /** The shares, each with the mountpoint (and dataset) that holds its path. */
  readonly shares: ReadonlyArray<SharePlace>
}

const basename = (path: string) => path.slice(path.lastIndexOf("/") + 1)

/**
 * The block device a ZFS leaf or a user's disk name refers to. By-id names
 * embed the serial or WWN ("ata-WDC_WD40EFRX-68N32N0_WD-WCC7K1ABCDEF-part1",
 * "wwn-0x50014ee2b0c0ffee"); a "-partN" suffix picks the Nth partition.
 */
export const resolveDevice = (devices: ReadonlyArray<BlockDevice>, name: string): PlacedDevice | undefined => {
  const flat = flattenDevices(devices)
  const base = basename(name)
  const direct = flat.find(({ device }) => device.path === name || device.name === name || device.name === base)
  if (direct !== undefined) return direct
  const part = /-part(\d+)$/.exec(base)
  const stem = part === null ? base : base.slice(0, part.index)
  const disk = flat.find(({ device }) =>
    device.type === "disk" && (
      (device.serial !== undefined && device.serial.length >= 4 && stem.endsWith(device.serial.replaceAll(" ", "_"))) ||
      (device.wwn !== undefined && stem.toLowerCase() === `wwn-${device.wwn.toLowerCase()}`)
    )
  )
  if (disk !== undefined) {
    if (part === null) return disk
    const partition = disk.device.children.find((c) => c.name === `${disk.device.name}${part[1]}` || c.name === `${disk.device.name}p${part[1]}`)
    return partition === undefined ? disk : { device: partition, disk: disk.device }
  }
  return undefined
}

const leafName = (vdev: Vdev) => vdev.path ?? vdev.name

export const buildTopology = (input: {
  readonly devices: ReadonlyArray<BlockDevice>
  readonly pools: ReadonlyArray<PoolStatus>
  readonly datasets: ReadonlyArray<Dataset>
  readonly shares?: ReadonlyArray<ShareInput>
}): Topology => {
  const nodes = new Map<string, TopologyNode>()
  const edges: Array<{ from: string; to: string }> = []
  const unresolved: Array<string> = []
  const node = (n: TopologyNode) => void (nodes.has(n.id) ? undefined : nodes.set(n.id, n))
  const edge = (from: string, to: string) => edges.push({ from, to })

  const deviceId = (d: BlockDevice) => `${d.type === "disk" ? "disk" : "part"}:${d.path}`
  for (const { device, disk } of flattenDevices(input.devices)) {
    node({ id: deviceId(device), kind: device.type === "disk" ? "disk" : "partition", label: device.name })
    if (device !== disk) edge(deviceId(device), deviceId(disk))
    for (const mountpoint of device.mountpoints) {
      node({ id: `mount:${mountpoint}`, kind: "mountpoint", label: mountpoint })
      edge(`mount:${mountpoint}`, deviceId(device))
    }
  }
  for (const pool of input.pools) {
    const poolId = `pool:${pool.name}`
    node({ id: poolId, kind: "pool", label: pool.name, state: pool.state })
    const visit = (vdev: Vdev, parent: string, at: string) => {
      const id = `vdev:${pool.name}/${at}`
      node({ id, kind: "vdev", label: vdev.name, state: vdev.state })
      edge(parent, id)
      if (vdev.children.length === 0) {
        const found = resolveDevice(input.devices, leafName(vdev)) ?? resolveDevice(input.devices, vdev.name)
        if (found === undefined) unresolved.push(`${pool.name}: ${leafName(vdev)}`)
        else edge(id, deviceId(found.device))
      }
      for (const child of vdev.children) visit(child, id, `${at}/${child.name}`)
    }
    for (const top of pool.vdevs) visit(top, poolId, top.name)
  }
  for (const dataset of input.datasets) {
    const id = `dataset:${dataset.name}`
    node({ id, kind: "dataset", label: dataset.name })
    const parent = dataset.name.includes("/") ? `dataset:${dataset.name.slice(0, dataset.name.lastIndexOf("/"))}` : `pool:${dataset.pool}`
    edge(id, input.datasets.some((d) => `dataset:${d.name}` === parent) || parent.startsWith("pool:") ? parent : `pool:${dataset.pool}`)
    if (dataset.mountpoint !== undefined) {
      node({ id: `mount:${dataset.mountpoint}`, kind: "mountpoint", label: dataset.mountpoint })
      edge(`mount:${dataset.mountpoint}`, id)
    }
  }
  const mountpoints = [...nodes.values()].filter((n) => n.kind === "mountpoint").map((n) => n.label)
  const shares = (input.shares ?? []).map((share): SharePlace => {
    const mountpoint = holder(mountpoints, share.path)
    const dataset = mountpoint === undefined ? undefined : input.datasets.find((d) => d.mountpoint === mountpoint)
    const id = `share:${share.protocol}/${share.name}`
    node({ id, kind: "share", label: `${share.name} (${share.protocol})` })
    if (mountpoint !== undefined) edge(id, `mount:${mountpoint}`)
    return {
      ...share,
      ...(mountpoint === undefined ? {} : { mountpoint }),
      ...(dataset === undefined ? {} : { dataset: dataset.name, pool: dataset.pool })
    }
  })
  return { nodes: [...nodes.values()], edges, unresolved, pools: input.pools, devices: input.devices, datasets: input.datasets, shares }
}

/** The mountpoint holding `path`: the longest one it lies under. */
const holder = (mountpoints: ReadonlyArray<string>, path: string): string | undefined =>
  mountpoints
    .filter((m) => m === "/" || path === m || path.startsWith(`${m}/`))
    .reduce<string | undefined>((best, m) => (best === undefined || m.length > best.length ? m : best), undefined)

/** The graph without the inputs kept for `impact`: what VERTEX replies to `topology`. */
export const topologyView = (t: Topology) => ({ nodes: t.nodes, edges: t.edges, unresolved: t.unresolved })

const FAILED_STATES = new Set(["FAULTED", "UNAVAIL", "OFFLINE", "REMOVED"])

interface Survival {
  readonly alive: boolean
  /** Some redundancy was used up (a child failed but the vdev lives). */
  readonly degraded: boolean
  readonly why: string
}

/** Whether a vdev survives when the leaves in `dying` die, counting leaves that have already failed. */
const survives = (vdev: Vdev, dying: (leaf: Vdev) => boolean): Survival => {
  if (vdev.children.length === 0) {
    if (dying(vdev)) return { alive: false, degraded: true, why: `${vdev.name} would die` }
    if (FAILED_STATES.has(vdev.state)) return { alive: false, degraded: true, why: `${vdev.name} is already ${vdev.state}` }
    return { alive: true, degraded: false, why: "" }
  }
  const children = vdev.children.map((c) => survives(c, dying))
  const dead = children.filter((c) => !c.alive)
  const degraded = children.some((c) => c.degraded)
  const reasons = children.filter((c) => c.degraded).map((c) => c.why).join("; ")
  const tolerance = vdev.type === "mirror" || vdev.type === "replacing" || vdev.type === "spare"
    ? vdev.children.length - 1
    : vdev.type === "raidz" || vdev.type === "draid"
    ? vdev.parity ?? 1
    : 0
  if (dead.length > tolerance) {
    return { alive: false, degraded: true, why: `${vdev.name} loses ${dead.length} of ${vdev.children.length} and tolerates ${tolerance}: ${reasons}` }
  }
  return { alive: true, degraded, why: degraded ? `${vdev.name} keeps working on its redundancy: ${reasons}` : "" }
}

const CRITICAL_CLASSES = new Set<VdevClass>(["data", "special", "dedup"])

export const impact = (topology: Topology, disk: string): Impact => {
  const target = resolveDevice(topology.devices, disk)
  const onDisk = (device: BlockDevice | undefined) => target !== undefined && device !== undefined && (device === target.disk || target.disk.children.includes(device))
  const partitions = target === undefined ? [] : target.disk.children.map((c) => c.path)
  const mountpoints = target === undefined ? [] : flattenDevices([target.disk]).flatMap(({ device }) => device.mountpoints)
  const dying = (leaf: Vdev) => {
    const found = resolveDevice(topology.devices, leafName(leaf)) ?? resolveDevice(topology.devices, leaf.name)
    if (found !== undefined) return onDisk(found.device) || found.disk === target?.disk
    return target === undefined && (leaf.name === disk || leaf.path === disk || basename(leafName(leaf)) === basename(disk))
  }
  const pools: Array<PoolImpact> = []
  for (const pool of topology.pools) {
    const datasets = topology.datasets.filter((d) => d.pool === pool.name).map((d) => ({ name: d.name, mountpoint: d.mountpoint }))
    const touched = pool.vdevs.some(function touches(v: Vdev): boolean {
      return v.children.length === 0 ? dying(v) : v.children.some(touches)
    })
    if (!touched) {
      pools.push({ pool: pool.name, outcome: "unaffected", because: "none of its devices are on this disk", datasets: [] })
      continue
    }
    let outcome: Outcome = "unaffected"
    const because: Array<string> = []
    for (const top of pool.vdevs) {
      const result = survives(top, dying)
      if (!result.degraded) continue
      if (top.class === "cache") {
        because.push(`cache ${top.name} would be lost: reads get slower, no data is lost`)
        continue
      }
      if (top.class === "spare") {
        because.push(`spare ${top.name} would be lost: nothing can take over the next failure automatically`)
        continue
      }
      if (top.class === "log") {
        if (!result.alive) because.push(`log ${top.name} would be lost: synchronous writes of the last seconds are at risk if the pool also crashes`)
        outcome = outcome === "faulted" ? outcome : "degraded"
        continue
      }
      if (!result.alive && CRITICAL_CLASSES.has(top.class)) {
        outcome = "faulted"
        because.push(`${top.class} vdev ${result.why}: the pool cannot work without it`)
      } else {
        outcome = outcome === "faulted" ? outcome : "degraded"
        because.push(result.why)
      }
    }
    pools.push({ pool: pool.name, outcome, because: because.join("; ") || "no redundancy is used", datasets: outcome === "unaffected" ? [] : datasets })
  }
  const hit = pools.filter((p) => p.outcome !== "unaffected")
  const name = target?.disk.path ?? disk
  const text = target === undefined && hit.length === 0
    ? `${disk} is not a disk lsblk knows, and no pool has a device by that name`
    : hit.length === 0
    ? `if ${name} dies, no pool is affected` + (mountpoints.length === 0 ? "" : `; lost: ${mountpoints.join(", ")}`)
    : `if ${name} dies: ` + hit.map((p) =>
      `pool ${p.pool} is ${p.outcome === "faulted" ? "FAULTED (its data is unavailable)" : "DEGRADED (it keeps working with less redundancy)"}` +
      (p.datasets.length === 0 ? "" : `, affecting ${p.datasets.map((d) => d.name).join(", ")}`)
    ).join("; ")
  const shares: Array<ShareImpact> = []
  for (const share of topology.shares) {
    const pool = share.pool === undefined ? undefined : pools.find((p) => p.pool === share.pool)
    const lost = share.pool === undefined && share.mountpoint !== undefined && mountpoints.includes(share.mountpoint)
    const outcome: Outcome | undefined = lost ? "faulted" : pool !== undefined && pool.outcome !== "unaffected" ? pool.outcome : undefined
    if (outcome !== undefined) shares.push({ ...share, outcome })
  }
  const dark = shares.filter((s) => s.outcome === "faulted").map((s) => `${s.name} (${s.protocol})`)
  const slower = shares.filter((s) => s.outcome === "degraded").map((s) => `${s.name} (${s.protocol})`)
  const shareText = (dark.length === 0 ? "" : `; shares that go dark: ${dark.join(", ")}`) +
    (slower.length === 0 ? "" : `; shares that stay up on less redundancy: ${slower.join(", ")}`)
  return { disk, found: target !== undefined || hit.length > 0, partitions, mountpoints, pools, shares, text: text + shareText }
}
