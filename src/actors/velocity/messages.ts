/** VELOCITY's protocol: the single source of its message schemas, replies, rejections and access classes. */
import { Schema } from "effect"
import { DisksError } from "../../adapters/disks/Disks.ts"
import { FileError } from "../../adapters/fs/Files.ts"
import { FioPresetName } from "../../adapters/storagebench/fio.ts"
import { Engine, FIO_ERRORS, PresetResult } from "../../adapters/storagebench/StorageBench.ts"
import * as Protocol from "../../runtime/Protocol.ts"
import { LeaseConflict } from "../arbiter/messages.ts"
import { AbsolutePath, Device } from "../shared/fields.ts"
import { DependencyFailed } from "../shared/rejections.ts"

/** Bounds every request is held to (docs/benchmarks-storage.md). */
export const LIMITS = {
  sizeMiB: { minimum: 1, maximum: 16_384 },
  seconds: { minimum: 1, maximum: 60 },
  historyLimit: { minimum: 1, maximum: 1000 }
} as const

const between = (bounds: { readonly minimum: number; readonly maximum: number }) => Schema.Int.check(Schema.isBetween(bounds))

const Presets = Schema.Array(FioPresetName).check(Schema.isMinLength(1), Schema.isMaxLength(7))

const Limits = {
  /** Which presets, in order; the six read/write presets if absent. */
  presets: Schema.optionalKey(Presets),
  /** The test file's size (or the span of a device used); default from the configuration (256 MiB). */
  sizeMiB: Schema.optionalKey(between(LIMITS.sizeMiB)),
  /** How long each preset runs; default from the configuration (5 s). */
  seconds: Schema.optionalKey(between(LIMITS.seconds))
}

export const Benchmark = Schema.Struct({
  /** The directory (or device) benchmarked. */
  target: Schema.String,
  kind: Schema.Literals(["path", "device"]),
  engine: Engine,
  /** "fio-3.33"; absent for the built-in engine. */
  fioVersion: Schema.optionalKey(Schema.String),
  startedAt: Schema.String,
  /** The whole run: filling the file and every preset. */
  seconds: Schema.Finite,
  sizeBytes: Schema.Int,
  secondsPerPreset: Schema.Int,
  results: Schema.Array(PresetResult),
  /** What a reader must know to trust the numbers: the engine's limits, the page cache, what was not saved. */
  notes: Schema.Array(Schema.String),
  /** Who asked (uid). */
  uid: Schema.Int
})
export type Benchmark = typeof Benchmark.Type

export const DeviceBenchmark = Schema.Struct({
  /** True: nothing ran; `commands` is what would. */
  planned: Schema.Boolean,
  device: Schema.String,
  /** A preset writes to the device. */
  writes: Schema.Boolean,
  /** What running it destroys. */
  destroys: Schema.String,
  commands: Schema.Array(Schema.Array(Schema.String)),
  result: Schema.optionalKey(Benchmark)
})

export const Engines = Schema.Struct({
  fio: Schema.Struct({ available: Schema.Boolean, version: Schema.optionalKey(Schema.String), reason: Schema.optionalKey(Schema.String) }),
  builtin: Schema.Struct({ measures: Schema.String, cannot: Schema.String }),
  /** Which engine a `benchmark` would use now. */
  uses: Engine
})

/** A device benchmark whose presets write, on a device that holds something. */
export class DeviceInUse extends Schema.TaggedError<DeviceInUse>()("DeviceInUse", {
  device: Schema.String,
  holds: Schema.String
}) {
  override get message() {
    return `${this.device} holds ${this.holds}: a write benchmark would destroy it, so it is refused; benchmark a directory on it instead, or choose only read presets`
  }
}

/** A device can only be benchmarked with fio: the built-in engine works on files. */
export class FioUnavailable extends Schema.TaggedError<FioUnavailable>()("FioUnavailable", { reason: Schema.String }) {
  override get message() {
    return `device benchmarks need fio: ${this.reason}`
  }
}

export const Velocity = Protocol.make("VELOCITY", [
  Protocol.message("benchmark", {
    doc: "benchmarks the storage under a directory (KDiskMark's presets, with fio; a built-in sequential test without it) on a temporary file made there with your rights and removed afterwards",
    access: "operate",
    fields: { target: AbsolutePath, ...Limits },
    reply: Benchmark,
    rejections: [FileError, LeaseConflict, DependencyFailed, ...FIO_ERRORS]
  }),
  Protocol.message("benchmark-device", {
    doc: "plans a benchmark of a raw device with fio (write presets destroy what it holds); runs it only with confirm",
    access: "admin",
    fields: { device: Device, ...Limits, confirm: Schema.optionalKey(Schema.Boolean) },
    reply: DeviceBenchmark,
    rejections: [DeviceInUse, FioUnavailable, DisksError, LeaseConflict, DependencyFailed, ...FIO_ERRORS]
  }),
  Protocol.message("history", {
    doc: "past benchmark results, newest first (of one target, or all)",
    access: "read",
    fields: {
      target: Schema.optionalKey(Schema.String),
      limit: Schema.optionalKey(between(LIMITS.historyLimit))
    },
    reply: Schema.Array(Benchmark)
  }),
  Protocol.message("engines", {
    doc: "whether fio is installed here, and what the built-in fallback can and cannot measure",
    access: "read",
    reply: Engines
  })
])
