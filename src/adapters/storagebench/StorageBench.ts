/**
 * Port: storage benchmarks. `fio --output-format=json` when it is installed
 * (argv arrays through the CommandRunner, fio.ts), otherwise a small built-in
 * sequential read/write measured by the daemon itself, labelled as such with
 * what it cannot measure. The file benchmarked is given by the caller of the
 * port: a scratch file made with a file job's rights (CallerFiles.scratch),
 * reached through a path that names exactly that file, or a raw device.
 */
import { Context, type Effect, Schema } from "effect"
import { CommandExited, CommandFailed, CommandTimedOut, OutputTooLarge, ToolMissing } from "../command/Command.ts"
import { DecodeError } from "../command/DecodeError.ts"
import { FileError } from "../fs/Files.ts"
import { PresetName } from "./fio.ts"

/** Microseconds, from fio's nanoseconds. */
export const Latency = Schema.Struct({
  mean: Schema.Finite,
  /** Completion-latency percentiles (fio's clat). */
  p50: Schema.Finite,
  p99: Schema.Finite,
  p999: Schema.Finite
})
export type Latency = typeof Latency.Type

export const Measurement = Schema.Struct({
  /** Megabytes (10^6 bytes, as KDiskMark and fio's "MB/s") per second. */
  mbPerSecond: Schema.Finite,
  iops: Schema.Finite,
  /** Absent when the engine could not measure it honestly (the built-in engine over the page cache). */
  latencyUs: Schema.optionalKey(Latency),
  bytes: Schema.Finite,
  seconds: Schema.Finite
})
export type Measurement = typeof Measurement.Type

export const Engine = Schema.Literals(["fio", "builtin"])
export type Engine = typeof Engine.Type

export const PresetResult = Schema.Struct({
  preset: PresetName,
  /** "SEQ1M Q8T1", as KDiskMark names it. */
  label: Schema.String,
  engine: Engine,
  /** The I/O bypassed the page cache (O_DIRECT). */
  direct: Schema.Boolean,
  read: Schema.optionalKey(Measurement),
  write: Schema.optionalKey(Measurement),
  /** The exact command, for fio. */
  argv: Schema.optionalKey(Schema.Array(Schema.String))
})
export type PresetResult = typeof PresetResult.Type

/** fio ran but its job failed (fio says why: an errno and the function). */
export class FioJobFailed extends Schema.TaggedError<FioJobFailed>()("FioJobFailed", {
  preset: Schema.String,
  errno: Schema.Int,
  detail: Schema.String
}) {
  override get message() {
    return `fio's ${this.preset} job failed (errno ${this.errno})${this.detail === "" ? "" : `: ${this.detail}`}`
  }
}

export const FIO_ERRORS = [FioJobFailed, ToolMissing, CommandTimedOut, OutputTooLarge, CommandFailed, CommandExited, DecodeError] as const
export type FioError = FioJobFailed | ToolMissing | CommandTimedOut | OutputTooLarge | CommandFailed | CommandExited | DecodeError

export type FioAvailability =
  | { readonly available: true; readonly version: string }
  | { readonly available: false; readonly reason: string }

export interface FioRun {
  /** The file or device fio opens (a scratch file's `toolPath`). */
  readonly file: string
  readonly preset: PresetName
  readonly sizeBytes: number
  readonly seconds: number
  /** O_DIRECT; when the filesystem refuses it, the run is repeated buffered and says so (`direct: false`). */
  readonly direct: boolean
}

export interface BuiltinRun {
  readonly file: string
  readonly sizeBytes: number
  /** Each direction stops after this long, or after `sizeBytes`. */
  readonly seconds: number
}

export interface StorageBenchShape {
  /** Whether fio can be used here, and which one. */
  readonly fio: Effect.Effect<FioAvailability>
  /**
   * Fills `file` with `sizeBytes` of incompressible data and syncs it, so that
   * every preset reads real blocks (not holes, not zeros a compressing
   * filesystem would skip) and fio never lays the file out itself.
   */
  readonly prepare: (file: string, sizeBytes: number) => Effect.Effect<void, FileError>
  readonly runFio: (run: FioRun) => Effect.Effect<PresetResult, FioError>
  /** The fallback: a sequential write then read, one 1 MiB request at a time. */
  readonly builtin: (run: BuiltinRun) => Effect.Effect<ReadonlyArray<PresetResult>, FileError>
}

export class StorageBench extends Context.Service<StorageBench, StorageBenchShape>()("sigmavault/adapters/storagebench/StorageBench") {}
