/**
 * ARCHITECT's model: ZFS pool layouts for a disk inventory, ranked for a
 * goal, and the problems of a proposed layout in words.
 *
 * Usable capacity is an estimate: per vdev, mirrors give their smallest disk,
 * raidzP of n gives (n − P) × its smallest disk, a stripe the sum of its
 * disks; the pool then keeps 1/32 back (ZFS's slop space). RAIDZ padding and
 * metadata cost a few percent more depending on recordsize and ashift; that
 * is not modelled. Resilver time assumes the disk is read end to end at
 * 120 MB/s for HDDs and 400 MB/s for SSDs, a typical sequential rate; a busy
 * or fragmented pool resilvers slower.
 */
import { type BlockDevice, mediumOf } from "../../adapters/disks/Disks.ts"
import type { LayoutVdev } from "../../adapters/zfs/Zfs.ts"
import { display } from "../../adapters/zfs/commands.ts"
import type { Candidate, DiskInfo, DiskKind, Goal, Problem, Recommendation, Validation } from "./messages.ts"

export type { Candidate, DiskInfo, DiskKind, Goal, Problem, Recommendation, Validation } from "./messages.ts"

const GiB = 1024 ** 3
const TB = 1e12
const SLOP = 1 / 32
/** Disks within this fraction of each other's size go in one vdev without a warning. */
const SIZE_TOLERANCE = 0.1
const MAX_WIDTH = 12

/** Whole disks worth pooling: not loop, zram, optical or removable devices, not smaller than 1 GiB. */
export const diskInfoOf = (device: BlockDevice): DiskInfo | undefined => {
  if (device.type !== "disk" || device.removable || device.sizeBytes < GiB) return undefined
  if (/^(zram|ram|loop|sr|fd)\d/.test(device.name)) return undefined
  const kind: DiskKind = mediumOf(device)
  return { path: device.path, sizeBytes: device.sizeBytes, kind, model: device.model }
}

const tolerance = (vdev: LayoutVdev) =>
  vdev.kind === "mirror" ? vdev.disks.length - 1 : vdev.kind === "stripe" ? 0 : Number(vdev.kind.slice(-1))

const vdevUsable = (vdev: LayoutVdev, sizes: ReadonlyMap<string, number>) => {
  const list = vdev.disks.map((d) => sizes.get(d) ?? 0)
  const smallest = Math.min(...list)
  if (vdev.kind === "stripe") return list.reduce((a, b) => a + b, 0)
  if (vdev.kind === "mirror") return smallest
  return Math.max(0, vdev.disks.length - tolerance(vdev)) * smallest
}

export const usableBytes = (vdevs: ReadonlyArray<LayoutVdev>, disks: ReadonlyArray<DiskInfo>): number => {
  const sizes = new Map(disks.map((d) => [d.path, d.sizeBytes]))
  return Math.floor(vdevs.reduce((sum, v) => sum + vdevUsable(v, sizes), 0) * (1 - SLOP))
}

/** Disks that may fail, in the worst case, without losing the pool: the weakest vdev decides. */
export const faultTolerance = (vdevs: ReadonlyArray<LayoutVdev>) => Math.min(...vdevs.map(tolerance))

const words = (vdev: LayoutVdev): ReadonlyArray<string> => (vdev.kind === "stripe" ? vdev.disks : [vdev.kind, ...vdev.disks])

export const createCommand = (pool: string, vdevs: ReadonlyArray<LayoutVdev>): ReadonlyArray<string> => [
  "zpool",
  "create",
  "-o",
  "ashift=12",
  pool,
  ...vdevs.flatMap(words)
]

const tb = (bytes: number) => `${(bytes / TB).toFixed(1)} TB`
const hours = (bytes: number, kind: DiskKind) => bytes / ((kind === "hdd" || kind === "unknown" ? 120 : 400) * 1e6) / 3600

/** Like with like: disks of one kind whose sizes are within 10% of the group's smallest. */
export const groupDisks = (disks: ReadonlyArray<DiskInfo>): ReadonlyArray<ReadonlyArray<DiskInfo>> => {
  const groups: Array<Array<DiskInfo>> = []
  for (const disk of [...disks].sort((a, b) => a.kind.localeCompare(b.kind) || a.sizeBytes - b.sizeBytes || a.path.localeCompare(b.path))) {
    const group = groups.find((g) => g[0]!.kind === disk.kind && disk.sizeBytes <= g[0]!.sizeBytes * (1 + SIZE_TOLERANCE))
    if (group === undefined) groups.push([disk])
    else group.push(disk)
  }
  return groups.sort((a, b) => b.length - a.length || b.reduce((s, d) => s + d.sizeBytes, 0) - a.reduce((s, d) => s + d.sizeBytes, 0))
}

const shapes = (n: number): ReadonlyArray<{ name: string; kind: LayoutVdev["kind"]; width: number; count: number }> => {
  const out: Array<{ name: string; kind: LayoutVdev["kind"]; width: number; count: number }> = []
  if (n === 1) return [{ name: "single disk", kind: "stripe", width: 1, count: 1 }]
  out.push({ name: `stripe of ${n}`, kind: "stripe", width: n, count: 1 })
  if (n === 2) out.push({ name: "mirror", kind: "mirror", width: 2, count: 1 })
  if (n === 3) out.push({ name: "3-way mirror", kind: "mirror", width: 3, count: 1 })
  if (n >= 4) out.push({ name: `${Math.floor(n / 2)} striped mirrors`, kind: "mirror", width: 2, count: Math.floor(n / 2) })
  for (const parity of [1, 2, 3] as const) {
    for (let width = parity + 2; width <= Math.min(n, MAX_WIDTH + 4); width++) {
      const count = Math.floor(n / width)
      const left = n - count * width
      if (count === 0 || left > 2 || (left > 0 && count > 1)) continue
      if (count > 1 && width < 4) continue
      const kind = `raidz${parity}` as const
      out.push({ name: count === 1 ? `${kind} of ${width}` : `${count} × ${kind} of ${width}`, kind, width, count })
    }
  }
  return out
}

const scoreOf = (goal: Goal, efficiency: number, t: number, penalty: number) => {
  switch (goal) {
    case "capacity":
      return efficiency + 0.15 * t + penalty / 2
    case "balanced":
      return 0.6 * efficiency + 0.25 * Math.min(t, 2) + penalty
    case "redundancy":
      return 0.3 * t + 0.2 * efficiency + penalty
  }
}

const candidate = (
  shape: ReturnType<typeof shapes>[number],
  group: ReadonlyArray<DiskInfo>,
  goal: Goal,
  pool: string
): Candidate => {
  const vdevs: Array<LayoutVdev> = []
  for (let i = 0; i < shape.count; i++) vdevs.push({ kind: shape.kind, disks: group.slice(i * shape.width, (i + 1) * shape.width).map((d) => d.path) })
  const spares = group.slice(shape.count * shape.width).map((d) => d.path)
  const usable = usableBytes(vdevs, group)
  // Spares are bought too: efficiency is over every disk of the group.
  const raw = group.reduce((s, d) => s + d.sizeBytes, 0)
  const t = faultTolerance(vdevs)
  const largest = Math.max(...group.map((d) => d.sizeBytes))
  const kind = group[0]!.kind
  const resilver = hours(largest, kind)
  const notes: Array<string> = []
  const warnings: Array<string> = []
  let penalty = 0
  if (t === 0) {
    penalty -= 1
    warnings.push(shape.count * shape.width === 1 ? "no redundancy: if this disk fails, every file on the pool is lost" : "no redundancy: any one disk failing loses the whole pool")
  } else {
    notes.push(`survives ${t} failed disk${t === 1 ? "" : "s"} ${shape.count > 1 ? "per vdev in the best case, " : ""}in the worst case ${t}`)
    notes.push(`replacing a failed ${tb(largest)} disk takes about ${Math.ceil(resilver)} h of resilvering, with ${t - 1 === 0 ? "no redundancy left" : `${t - 1} more failure${t - 1 === 1 ? "" : "s"} tolerated`} meanwhile`)
  }
  if (shape.kind === "raidz1" && largest >= 4 * TB && (kind === "hdd" || kind === "unknown")) {
    penalty -= 0.3
    warnings.push(`raidz1 with ${tb(largest)} disks: during the ~${Math.ceil(resilver)} h resilver there is no redundancy left, so a second failure loses the pool and an unreadable sector loses the files it holds; prefer raidz2`)
  }
  if (shape.width > 10 && shape.kind !== "stripe") {
    penalty -= 0.15
    notes.push(`a ${shape.width}-wide vdev resilvers slowly and has the random I/O of a single disk`)
  }
  if (shape.kind === "mirror") notes.push("mirrors resilver fastest (a plain copy) and give the most random I/O")
  // Each vdev adds a disk's worth of random I/O.
  if (goal !== "capacity") penalty += 0.02 * (shape.count - 1)
  if (spares.length > 0) notes.push(`${spares.join(", ")} left over: add ${spares.length === 1 ? "it" : "them"} as hot spare${spares.length === 1 ? "" : "s"}`)
  const command = createCommand(pool, vdevs)
  return {
    name: shape.name,
    vdevs,
    spares,
    usableBytes: usable,
    rawBytes: raw,
    faultTolerance: t,
    notes,
    warnings,
    score: Math.round(scoreOf(goal, raw === 0 ? 0 : usable / raw, t, penalty) * 1000) / 1000,
    command,
    display: display(command)
  }
}

/** Layouts for `disks`, best first for `goal`, using the largest group of like disks. */
export const recommend = (disks: ReadonlyArray<DiskInfo>, goal: Goal = "balanced", options: { readonly pool?: string } = {}): Recommendation => {
  const pool = options.pool ?? "tank"
  const groups = groupDisks(disks)
  const group = groups[0] ?? []
  const leftOut = groups.slice(1).flatMap((g) =>
    g.map((d) => ({
      disk: d.path,
      reason: d.kind !== group[0]!.kind
        ? `it is ${d.kind === "hdd" ? "an HDD" : `an ${d.kind.toUpperCase()}`} and the others are ${group[0]!.kind}s: a vdev mixing them runs at the slower one's speed; give it its own pool`
        : `its size (${tb(d.sizeBytes)}) differs from the others' (${tb(group[0]!.sizeBytes)}) by more than 10%: in one vdev every disk counts as the smallest`
    }))
  )
  const warnings = leftOut.length === 0 ? [] : [`${leftOut.length} disk${leftOut.length === 1 ? " was" : "s were"} left out to keep like with like; see leftOut`]
  const candidates = group.length === 0 ? [] : shapes(group.length).map((s) => candidate(s, group, goal, pool)).sort((a, b) => b.score - a.score || b.usableBytes - a.usableBytes)
  return { goal, disks, leftOut, warnings, candidates }
}

/** What is wrong with a proposed layout, in words; `ok` when nothing is an error. */
export const validate = (pool: string, vdevs: ReadonlyArray<LayoutVdev>, disks: ReadonlyArray<DiskInfo>): Validation => {
  const problems: Array<Problem> = []
  const error = (text: string) => problems.push({ severity: "error", text })
  const warning = (text: string) => problems.push({ severity: "warning", text })
  const byName = (name: string) => disks.find((d) => d.path === name || d.path === `/dev/${name}` || d.path.endsWith(`/${name}`))
  const seen = new Map<string, number>()
  vdevs.forEach((vdev, i) => {
    const label = `vdev ${i + 1} (${vdev.kind})`
    const found = vdev.disks.map(byName)
    vdev.disks.forEach((name, j) => {
      const disk = found[j]
      if (disk === undefined) error(`${label}: ${name} is not a disk in the inventory`)
      else {
        const earlier = seen.get(disk.path)
        if (earlier !== undefined) error(`${label}: ${disk.path} is already used in vdev ${earlier + 1}`)
        else seen.set(disk.path, i)
      }
    })
    const n = vdev.disks.length
    if (vdev.kind === "mirror" && n < 2) error(`${label}: a mirror needs at least 2 disks`)
    if (vdev.kind.startsWith("raidz")) {
      const parity = Number(vdev.kind.slice(-1))
      if (n <= parity) error(`${label}: ${vdev.kind} needs more than ${parity} disks; with ${n} it has no room for data`)
      else if (n === parity + 1) warning(`${label}: ${vdev.kind} of ${n} stores what a ${n}-way mirror stores, and rebuilds slower: use a mirror`)
      if (n > MAX_WIDTH) warning(`${label}: ${n} disks in one raidz is wide: long resilvers and one disk's random I/O; split it into vdevs of 6–10`)
    }
    if (vdev.kind === "stripe" && vdevs.length > 1 && vdevs.some((v) => v.kind !== "stripe")) {
      warning(`${label}: a disk without redundancy next to redundant vdevs makes the whole pool only as safe as that disk`)
    }
    const known = found.filter((d): d is DiskInfo => d !== undefined)
    const kinds = new Set(known.map((d) => d.kind))
    if (kinds.size > 1) warning(`${label}: mixes ${[...kinds].join(" and ")} disks: it runs at the slowest one's speed`)
    if (known.length > 1) {
      const smallest = Math.min(...known.map((d) => d.sizeBytes))
      const largest = Math.max(...known.map((d) => d.sizeBytes))
      if (largest > smallest * (1 + SIZE_TOLERANCE)) {
        const wasted = known.reduce((s, d) => s + d.sizeBytes - smallest, 0)
        warning(`${label}: disk sizes differ (${tb(smallest)} to ${tb(largest)}); every disk counts as ${tb(smallest)}, wasting ${tb(wasted)}`)
      }
    }
  })
  const tolerances = new Set(vdevs.map(tolerance))
  if (tolerances.size > 1 && !vdevs.some((v) => v.kind === "stripe")) {
    warning(`the vdevs have different redundancy (${vdevs.map((v) => v.kind).join(", ")}): the pool is only as safe as the weakest`)
  }
  if (vdevs.length === 1 && vdevs[0]!.kind === "stripe") warning("no redundancy: any one disk failing loses the whole pool")
  const command = createCommand(pool, vdevs)
  const ok = problems.every((p) => p.severity !== "error")
  return {
    ok,
    problems,
    usableBytes: ok ? usableBytes(vdevs.map((v) => ({ ...v, disks: v.disks.map((d) => byName(d)!.path) })), disks) : undefined,
    faultTolerance: ok ? faultTolerance(vdevs) : undefined,
    command,
    display: display(command)
  }
}
