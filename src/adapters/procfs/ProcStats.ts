/**
 * Port: raw kernel counters from /proc, one consistent sample at a time.
 * Counters are cumulative since boot; rates and percentages come from the
 * difference between two samples (see the SENTRY agent's utilisation module).
 */
import { Context, type Effect, Schema } from "effect"

/** Aggregate CPU time over all CPUs, in jiffies (USER_HZ ticks), from the `cpu` line of /proc/stat. */
export interface CpuJiffies {
  readonly user: number
  readonly nice: number
  readonly system: number
  readonly idle: number
  readonly iowait: number
  readonly irq: number
  readonly softirq: number
  readonly steal: number
}

export interface MemoryCounters {
  readonly totalBytes: number
  /** MemAvailable: what can be allocated without swapping (estimated on kernels older than 3.14). */
  readonly availableBytes: number
  readonly swapTotalBytes: number
  readonly swapFreeBytes: number
}

export interface LoadAverage {
  readonly one: number
  readonly five: number
  readonly fifteen: number
  /** Scheduling entities currently runnable, and all that exist. */
  readonly runnable: number
  readonly entities: number
}

/** Cumulative I/O counters of one whole disk, from /proc/diskstats. */
export interface DiskCounters {
  readonly name: string
  readonly readsCompleted: number
  readonly writesCompleted: number
  /** Always 512-byte units, whatever the device's sector size. */
  readonly sectorsRead: number
  readonly sectorsWritten: number
  /** Milliseconds during which the device had I/O in flight. */
  readonly ioTicksMs: number
}

export interface RawSample {
  /** Monotonic time of the sample (Effect's Clock), in milliseconds; only differences mean anything. */
  readonly monotonicMs: number
  readonly cpu: CpuJiffies
  /** Online CPUs: the `cpuN` lines of /proc/stat. */
  readonly cpuCount: number
  readonly memory: MemoryCounters
  readonly load: LoadAverage
  readonly disks: ReadonlyArray<DiskCounters>
}

/** A /proc file could not be read or did not have the expected shape. */
export class ProcStatsError extends Schema.TaggedError<ProcStatsError>()("ProcStatsError", {
  source: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${this.source}: ${this.reason}`
  }
}

export class ProcStats extends Context.Service<ProcStats, {
  readonly sample: Effect.Effect<RawSample, ProcStatsError>
}>()("sigmavault/adapters/procfs/ProcStats") {}
