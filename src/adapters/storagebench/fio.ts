/**
 * fio's side of the benchmarks: the presets (KDiskMark's), the exact argument
 * vector of each run, and the reading of `--output-format=json`. Pure: the
 * agent shows the argv in plans, the live adapter runs it, tests hold it.
 */
import { Result, Schema } from "effect"
import type { DecodeError } from "../command/DecodeError.ts"
import * as Json from "../command/json.ts"

export const PRESET_NAMES = [
  "seq1m-q8t1-read",
  "seq1m-q8t1-write",
  "rnd4k-q32t1-read",
  "rnd4k-q32t1-write",
  "rnd4k-q1t1-read",
  "rnd4k-q1t1-write",
  "rnd4k-q32t1-mixed",
  // The built-in engine's: sequential, one synchronous 1 MiB request at a time.
  "seq1m-q1t1-read",
  "seq1m-q1t1-write"
] as const
export const PresetName = Schema.Literals(PRESET_NAMES)
export type PresetName = (typeof PRESET_NAMES)[number]

/** The presets fio runs: KDiskMark's default set, and a 70/30 random mix. */
export const FIO_PRESETS = PRESET_NAMES.slice(0, 7) as ReadonlyArray<FioPresetName>
export type FioPresetName = Exclude<PresetName, "seq1m-q1t1-read" | "seq1m-q1t1-write">
export const FioPresetName = Schema.Literals(PRESET_NAMES.slice(0, 7) as unknown as readonly [FioPresetName, ...Array<FioPresetName>])
/** What runs when the request names no presets: the six read/write presets; the mix on request. */
export const DEFAULT_PRESETS: ReadonlyArray<FioPresetName> = FIO_PRESETS.slice(0, 6)

export interface PresetSpec {
  readonly label: string
  readonly rw: "read" | "write" | "randread" | "randwrite" | "randrw"
  readonly blockSize: string
  readonly queueDepth: number
  /** The preset writes to the file or device (a raw device loses what it held). */
  readonly writes: boolean
  readonly reads: boolean
}

export const PRESETS: { readonly [P in PresetName]: PresetSpec } = {
  "seq1m-q8t1-read": { label: "SEQ1M Q8T1", rw: "read", blockSize: "1m", queueDepth: 8, writes: false, reads: true },
  "seq1m-q8t1-write": { label: "SEQ1M Q8T1", rw: "write", blockSize: "1m", queueDepth: 8, writes: true, reads: false },
  "rnd4k-q32t1-read": { label: "RND4K Q32T1", rw: "randread", blockSize: "4k", queueDepth: 32, writes: false, reads: true },
  "rnd4k-q32t1-write": { label: "RND4K Q32T1", rw: "randwrite", blockSize: "4k", queueDepth: 32, writes: true, reads: false },
  "rnd4k-q1t1-read": { label: "RND4K Q1T1", rw: "randread", blockSize: "4k", queueDepth: 1, writes: false, reads: true },
  "rnd4k-q1t1-write": { label: "RND4K Q1T1", rw: "randwrite", blockSize: "4k", queueDepth: 1, writes: true, reads: false },
  "rnd4k-q32t1-mixed": { label: "RND4K Q32T1 70/30", rw: "randrw", blockSize: "4k", queueDepth: 32, writes: true, reads: true },
  "seq1m-q1t1-read": { label: "SEQ1M Q1T1 (built-in)", rw: "read", blockSize: "1m", queueDepth: 1, writes: false, reads: true },
  "seq1m-q1t1-write": { label: "SEQ1M Q1T1 (built-in)", rw: "write", blockSize: "1m", queueDepth: 1, writes: true, reads: false }
}

/** fio splits `filename` at ':' (several files); a literal one is written '\:'. */
const escapeFilename = (file: string) => file.replaceAll("\\", "\\\\").replaceAll(":", "\\:")

export interface FioArgs {
  readonly file: string
  readonly preset: PresetName
  readonly sizeBytes: number
  readonly seconds: number
  readonly direct: boolean
}

/**
 * The arguments after `fio`. KDiskMark's choices: libaio, O_DIRECT, no
 * repeated random sequence, fresh (incompressible) buffers for every write,
 * an fsync at the end of writes so their time includes reaching the disk;
 * time-based, so a fast device still runs for `seconds`. Percentiles are the
 * three reported.
 */
export const fioArgv = (args: FioArgs): ReadonlyArray<string> => {
  const spec = PRESETS[args.preset]
  return [
    "--output-format=json",
    `--name=${args.preset}`,
    `--filename=${escapeFilename(args.file)}`,
    `--rw=${spec.rw}`,
    `--bs=${spec.blockSize}`,
    `--iodepth=${spec.queueDepth}`,
    "--numjobs=1",
    // Jobs as threads of the one fio process: killing it (a timeout, a cancelled request) stops the I/O; a forked job would run on.
    "--thread",
    `--size=${args.sizeBytes}`,
    `--runtime=${args.seconds}`,
    "--time_based=1",
    "--ioengine=libaio",
    `--direct=${args.direct ? 1 : 0}`,
    "--invalidate=1",
    "--randrepeat=0",
    "--refill_buffers=1",
    "--zero_buffers=0",
    "--end_fsync=1",
    "--percentile_list=50:99:99.9",
    "--group_reporting=1",
    ...(spec.rw === "randrw" ? ["--rwmixread=70"] : [])
  ]
}

// --- reading the JSON ---------------------------------------------------------

export interface FioDirection {
  readonly bytes: number
  readonly bandwidthBytes: number
  readonly iops: number
  readonly runtimeMs: number
  /** Nanoseconds; absent when fio measured no I/O in that direction. */
  readonly meanNs: number | undefined
  readonly percentilesNs: { readonly p50: number; readonly p99: number; readonly p999: number } | undefined
}

export interface FioReport {
  readonly version: string
  readonly jobName: string
  /** The job's errno; 0 when it ran. */
  readonly error: number
  readonly read: FioDirection
  readonly write: FioDirection
}

/** fio prints the percentile keys with six decimals ("99.900000"); read them by value, whatever the format. */
const percentile = (table: Record<string, unknown>, wanted: number, path: string): number => {
  const key = Object.keys(table).find((k) => Math.abs(Number(k) - wanted) < 1e-6)
  return key === undefined ? Json.fail(path, `no ${wanted} percentile (was --percentile_list given?)`) : Json.number(table[key], Json.join(path, key))
}

const direction = (value: unknown, path: string): FioDirection => {
  const o = Json.object(value, path)
  const bytes = Json.number(o["io_bytes"], Json.join(path, "io_bytes"))
  const clat = o["clat_ns"] === undefined ? undefined : Json.object(o["clat_ns"], Json.join(path, "clat_ns"))
  const lat = o["lat_ns"] === undefined ? undefined : Json.object(o["lat_ns"], Json.join(path, "lat_ns"))
  const table = clat?.["percentile"] === undefined ? undefined : Json.object(clat["percentile"], Json.join(path, "clat_ns.percentile"))
  const at = Json.join(path, "clat_ns.percentile")
  return {
    bytes,
    bandwidthBytes: Json.number(o["bw_bytes"], Json.join(path, "bw_bytes")),
    iops: Json.number(o["iops"], Json.join(path, "iops")),
    runtimeMs: Json.number(o["runtime"], Json.join(path, "runtime")),
    meanNs: bytes === 0 || lat === undefined ? undefined : Json.number(lat["mean"], Json.join(path, "lat_ns.mean")),
    percentilesNs: bytes === 0 || table === undefined
      ? undefined
      : { p50: percentile(table, 50, at), p99: percentile(table, 99, at), p999: percentile(table, 99.9, at) }
  }
}

/** fio may print notes before its JSON on standard output: the document starts at the first line that is "{". */
export const jsonPart = (stdout: string): string => {
  const start = stdout.search(/^\{/m)
  return start === -1 ? stdout : stdout.slice(start)
}

export const parseFioJson = (stdout: string): Result.Result<FioReport, DecodeError> =>
  Json.decodeJson("fio --output-format=json", jsonPart(stdout), (root) => {
    const o = Json.object(root, "")
    const jobs = Json.array(o["jobs"], "jobs")
    if (jobs.length !== 1) Json.fail("jobs", `expected one job (--group_reporting), got ${jobs.length}`)
    const job = Json.object(jobs[0], "jobs.0")
    return {
      version: Json.string(o["fio version"], "fio version"),
      jobName: Json.string(job["jobname"], "jobs.0.jobname"),
      error: Json.number(job["error"], "jobs.0.error"),
      read: direction(job["read"], "jobs.0.read"),
      write: direction(job["write"], "jobs.0.write")
    }
  })

const toMeasurement = (d: FioDirection) => ({
  mbPerSecond: d.bandwidthBytes / 1e6,
  iops: d.iops,
  ...(d.meanNs === undefined || d.percentilesNs === undefined
    ? {}
    : { latencyUs: { mean: d.meanNs / 1000, p50: d.percentilesNs.p50 / 1000, p99: d.percentilesNs.p99 / 1000, p999: d.percentilesNs.p999 / 1000 } }),
  bytes: d.bytes,
  seconds: d.runtimeMs / 1000
})

/** One preset's result from fio's report: the directions the preset exercises, in the units the replies use. */
export const presetResultOf = (report: FioReport, args: FioArgs, argv: ReadonlyArray<string>) => {
  const spec = PRESETS[args.preset]
  return {
    preset: args.preset,
    label: spec.label,
    engine: "fio" as const,
    direct: args.direct,
    ...(spec.reads ? { read: toMeasurement(report.read) } : {}),
    ...(spec.writes ? { write: toMeasurement(report.write) } : {}),
    argv: ["fio", ...argv]
  }
}

/** fio's words for a filesystem that refuses O_DIRECT (EINVAL at open). */
export const refusesDirect = (errno: number, stderr: string): boolean =>
  errno === 22 || /does not support direct|O_DIRECT/i.test(stderr)

/** How long one fio run may take before it is killed: its runtime, the final fsync and a margin. */
export const fioTimeoutMs = (seconds: number, sizeBytes: number): number =>
  (seconds * 2 + 60 + Math.ceil(sizeBytes / (10 * 1024 * 1024))) * 1000
