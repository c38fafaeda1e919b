/**
 * Utilisation from two consecutive raw samples. /proc counters are cumulative,
 * so every rate is (later − earlier) / elapsed. A counter that went backwards
 * (iowait can, on tickless kernels; a replaced disk restarts at 0) counts as
 * no change rather than a negative rate.
 */
import type { CpuJiffies, DiskCounters, RawSample } from "../../adapters/procfs/ProcStats.ts"
import type { Reading } from "./hysteresis.ts"
import type { CpuUse, DiskUse, LoadUse, MemoryUse, Metrics } from "./messages.ts"

export type { CpuUse, DiskUse, LoadUse, Metrics, MemoryUse } from "./messages.ts"

/** /proc/diskstats counts sectors of 512 bytes regardless of the device. */
export const SECTOR_BYTES = 512






const grown = (earlier: number, later: number): number => Math.max(0, later - earlier)

const percent = (part: number, whole: number): number => whole > 0 ? Math.min(100, (part / whole) * 100) : 0

export const cpuUse = (earlier: CpuJiffies, later: CpuJiffies): CpuUse => {
  const delta = (key: keyof CpuJiffies) => grown(earlier[key], later[key])
  const idle = delta("idle")
  const iowait = delta("iowait")
  const jiffies = delta("user") + delta("nice") + delta("system") + idle + iowait + delta("irq") +
    delta("softirq") + delta("steal")
  return {
    busyPercent: percent(jiffies - idle - iowait, jiffies),
    iowaitPercent: percent(iowait, jiffies),
    jiffies
  }
}

export const memoryUse = (sample: RawSample): MemoryUse => {
  const { availableBytes, swapFreeBytes, swapTotalBytes, totalBytes } = sample.memory
  return {
    usedPercent: percent(Math.max(0, totalBytes - availableBytes), totalBytes),
    totalBytes,
    availableBytes,
    swapUsedPercent: percent(Math.max(0, swapTotalBytes - swapFreeBytes), swapTotalBytes)
  }
}

export const loadUse = (sample: RawSample): LoadUse => ({
  one: sample.load.one,
  five: sample.load.five,
  fifteen: sample.load.fifteen,
  perCpu: sample.cpuCount > 0 ? sample.load.one / sample.cpuCount : sample.load.one,
  cpuCount: sample.cpuCount
})

export const diskUse = (earlier: DiskCounters, later: DiskCounters, intervalMs: number): DiskUse => {
  const perSecond = (delta: number) => intervalMs > 0 ? (delta * 1000) / intervalMs : 0
  return {
    name: later.name,
    readBytesPerSecond: perSecond(grown(earlier.sectorsRead, later.sectorsRead) * SECTOR_BYTES),
    writeBytesPerSecond: perSecond(grown(earlier.sectorsWritten, later.sectorsWritten) * SECTOR_BYTES),
    readsPerSecond: perSecond(grown(earlier.readsCompleted, later.readsCompleted)),
    writesPerSecond: perSecond(grown(earlier.writesCompleted, later.writesCompleted)),
    utilPercent: percent(grown(earlier.ioTicksMs, later.ioTicksMs), intervalMs)
  }
}

/** Disks present in both samples only: one that appeared or vanished in between has no rate yet. */
export const computeMetrics = (earlier: RawSample, later: RawSample): Metrics => {
  const intervalMs = Math.max(0, later.monotonicMs - earlier.monotonicMs)
  const before = new Map(earlier.disks.map((disk) => [disk.name, disk]))
  const disks: Array<DiskUse> = []
  for (const disk of later.disks) {
    const previous = before.get(disk.name)
    if (previous !== undefined) disks.push(diskUse(previous, disk, intervalMs))
  }
  return {
    intervalMs,
    cpu: cpuUse(earlier.cpu, later.cpu),
    memory: memoryUse(later),
    load: loadUse(later),
    disks
  }
}

/**
 * What the alerts watch: CPU busy %, memory used %, 1-minute load per CPU and
 * each disk's util %. An interval too short to measure (no jiffies or no
 * time elapsed) is no evidence either way, so it yields no CPU or disk reading.
 */
export const readingsOf = (metrics: Metrics): ReadonlyArray<Reading> => {
  const readings: Array<Reading> = []
  if (metrics.cpu.jiffies > 0) readings.push({ key: "cpu", metric: "cpu", value: metrics.cpu.busyPercent })
  readings.push({ key: "memory", metric: "memory", value: metrics.memory.usedPercent })
  readings.push({ key: "load", metric: "load", value: metrics.load.perCpu })
  if (metrics.intervalMs > 0) {
    for (const disk of metrics.disks) {
      readings.push({ key: `disk:${disk.name}`, metric: "disk", value: disk.utilPercent })
    }
  }
  return readings
}
