/** SENTRY's protocol: the single source of its message schemas, replies, rejections and access classes. */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"

const Percent = Schema.Finite
const EpochMs = Schema.Finite

export const MetricName = Schema.Literals(["cpu", "memory", "load", "disk"])
export type MetricName = typeof MetricName.Type

/**
 * Raise when the value is at or above `raiseAt` for `forSamples` consecutive
 * samples; clear when it is at or below `clearAt`. Between the two nothing
 * changes, which is what keeps an alert from flapping.
 */
export const Threshold = Schema.Struct({ raiseAt: Schema.Finite, clearAt: Schema.Finite, forSamples: Schema.Int })
export type Threshold = typeof Threshold.Type

/** cpu: busy %; memory: used %; load: 1-minute load per CPU; disk: util % of each disk. */
export const Thresholds = Schema.Struct({ cpu: Threshold, memory: Threshold, load: Threshold, disk: Threshold })
export type Thresholds = typeof Thresholds.Type

export const CpuUse = Schema.Struct({
  /** Share of CPU time not idle and not waiting for I/O, over all CPUs. */
  busyPercent: Percent,
  iowaitPercent: Percent,
  /** Jiffies elapsed over all CPUs; 0 means the interval was too short to measure CPU. */
  jiffies: Schema.Finite
})
export type CpuUse = typeof CpuUse.Type

export const MemoryUse = Schema.Struct({
  usedPercent: Percent,
  totalBytes: Schema.Finite,
  availableBytes: Schema.Finite,
  swapUsedPercent: Percent
})
export type MemoryUse = typeof MemoryUse.Type

export const LoadUse = Schema.Struct({
  one: Schema.Finite,
  five: Schema.Finite,
  fifteen: Schema.Finite,
  /** The 1-minute load average divided by the online CPUs. */
  perCpu: Schema.Finite,
  cpuCount: Schema.Int
})
export type LoadUse = typeof LoadUse.Type

export const DiskUse = Schema.Struct({
  name: Schema.String,
  readBytesPerSecond: Schema.Finite,
  writeBytesPerSecond: Schema.Finite,
  readsPerSecond: Schema.Finite,
  writesPerSecond: Schema.Finite,
  /** Share of the interval the disk had I/O in flight, as iostat's %util. */
  utilPercent: Percent
})
export type DiskUse = typeof DiskUse.Type

const metricsFields = {
  /** Milliseconds between the two samples. */
  intervalMs: Schema.Finite,
  cpu: CpuUse,
  memory: MemoryUse,
  load: LoadUse,
  disks: Schema.Array(DiskUse)
}
export const Metrics = Schema.Struct(metricsFields)
export type Metrics = typeof Metrics.Type

/** Utilisation over the last interval, stamped with the wall-clock time of its later sample. */
export const Latest = Schema.Struct({ ...metricsFields, takenAt: EpochMs })
export type Latest = typeof Latest.Type

export const Precedent = Schema.Struct({
  key: Schema.String,
  at: EpochMs,
  value: Schema.Finite,
  /** squared L2 distance between the two situations' features */
  distance: Schema.Finite
})
export type Precedent = typeof Precedent.Type

export const AlertTransition = Schema.Struct({
  key: Schema.String,
  metric: MetricName,
  change: Schema.Literals(["raised", "cleared"]),
  /** Wall-clock milliseconds. */
  at: EpochMs,
  value: Schema.Finite,
  /** The bound that was crossed: raiseAt for a raise, clearAt for a clear. */
  threshold: Schema.Finite,
  /** For a raise: earlier alerts in a like situation, recalled from MNEMONIC. */
  precedents: Schema.optionalKey(Schema.Array(Precedent))
})
export type AlertTransition = typeof AlertTransition.Type

export const ActiveAlert = Schema.Struct({
  key: Schema.String,
  metric: MetricName,
  since: EpochMs,
  raisedValue: Schema.Finite,
  latest: Schema.Finite
})
export type ActiveAlert = typeof ActiveAlert.Type

export class NoMetricsYet extends Schema.TaggedError<NoMetricsYet>()("NoMetricsYet", {
  intervalMs: Schema.Int,
  lastError: Schema.NullOr(Schema.String)
}) {
  override get message() {
    return `no utilisation yet: it needs two samples, ${this.intervalMs} ms apart` +
      (this.lastError === null ? "" : `; the last sample failed: ${this.lastError}`)
  }
}

export class SampleFailed extends Schema.TaggedError<SampleFailed>()("SampleFailed", { reason: Schema.String }) {
  override get message() {
    return `could not sample /proc: ${this.reason}`
  }
}

export const Sentry = Protocol.make("SENTRY", [
  Protocol.message("sample", {
    doc: "takes a sample now (or waits for the one in progress) and replies the utilisation since the previous one",
    access: "read",
    reply: Latest,
    rejections: [NoMetricsYet, SampleFailed]
  }),
  Protocol.message("current", {
    doc: "the latest utilisation, without sampling",
    access: "read",
    reply: Latest,
    rejections: [NoMetricsYet]
  }),
  Protocol.message("alerts", {
    doc: "active alerts and the history of raises and clears",
    access: "read",
    reply: Schema.Struct({ active: Schema.Array(ActiveAlert), history: Schema.Array(AlertTransition) })
  }),
  Protocol.message("thresholds", {
    doc: "the sampling interval and the configured thresholds",
    access: "read",
    reply: Schema.Struct({ intervalMs: Schema.Int, historyLimit: Schema.Int, thresholds: Thresholds })
  })
])
