/**
 * Pure parsers for the /proc text files the ProcStats port reads. They never
 * throw: malformed text is a ProcStatsError naming the file and what is wrong.
 * Lines they do not know are ignored, so newer kernels that add fields or
 * lines still parse.
 */
import { Result } from "effect"
import {
  type CpuJiffies,
  type DiskCounters,
  type LoadAverage,
  type MemoryCounters,
  ProcStatsError,
  type RawSample
} from "./ProcStats.ts"

type Parsed<A> = Result.Result<A, ProcStatsError>

const failure = (source: string) => (reason: string): Parsed<never> =>
  Result.fail(new ProcStatsError({ source, reason }))

const fieldsOf = (line: string): Array<string> => {
  const trimmed = line.trim()
  return trimmed === "" ? [] : trimmed.split(/\s+/)
}

/** Quotes a line in an error message without flooding it. */
const quote = (line: string): string => JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}…` : line)

const UNSIGNED = /^\d+$/
const DECIMAL = /^\d+(?:\.\d+)?$/

const counterOf = (token: string | undefined): number | undefined =>
  token !== undefined && UNSIGNED.test(token) ? Number(token) : undefined

// ---- /proc/stat ---------------------------------------------------------------

export interface StatCounters {
  readonly cpu: CpuJiffies
  readonly cpuCount: number
}

/**
 * The aggregate `cpu` line and the number of `cpuN` lines. Kernels before
 * 2.6 lack iowait/irq/softirq and before 2.6.11 steal: those count as 0. The
 * guest columns that follow steal are already included in user and nice.
 */
export const parseStat = (text: string): Parsed<StatCounters> => {
  const fail = failure("/proc/stat")
  let aggregate: { readonly line: string; readonly values: ReadonlyArray<string> } | undefined
  let cpuCount = 0
  for (const line of text.split("\n")) {
    const [label, ...values] = fieldsOf(line)
    if (label === "cpu") aggregate ??= { line, values }
    else if (label !== undefined && /^cpu\d+$/.test(label)) cpuCount++
  }
  if (aggregate === undefined) return fail("no aggregate 'cpu' line")
  const counters = aggregate.values.slice(0, 8).map(counterOf)
  const known = counters.filter((value): value is number => value !== undefined)
  if (known.length < 4 || known.length !== counters.length) {
    return fail(`the 'cpu' line needs at least 4 counters (user nice system idle), got ${quote(aggregate.line)}`)
  }
  if (cpuCount === 0) return fail("no per-CPU 'cpuN' lines")
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = known
  return Result.succeed({ cpu: { user, nice, system, idle, iowait, irq, softirq, steal }, cpuCount })
}

// ---- /proc/meminfo ------------------------------------------------------------

/** Every `Key: value [kB]` line, in bytes (the kernel's "kB" is KiB). */
export const meminfoEntries = (text: string): ReadonlyMap<string, number> => {
  const entries = new Map<string, number>()
  for (const line of text.split("\n")) {
    const match = /^([^:\s]+):\s*(\d+)(?:\s+(kB))?\s*$/.exec(line)
    if (match !== null) entries.set(match[1]!, Number(match[2]) * (match[3] === undefined ? 1 : 1024))
  }
  return entries
}

/**
 * MemTotal is required. MemAvailable exists since Linux 3.14; older kernels
 * get the usual estimate MemFree + Buffers + Cached. Without swap, swap is 0.
 */
export const parseMeminfo = (text: string): Parsed<MemoryCounters> => {
  const fail = failure("/proc/meminfo")
  const entries = meminfoEntries(text)
  const totalBytes = entries.get("MemTotal")
  if (totalBytes === undefined) return fail("no 'MemTotal:' line")
  const free = entries.get("MemFree")
  const availableBytes = entries.get("MemAvailable") ??
    (free === undefined ? undefined : free + (entries.get("Buffers") ?? 0) + (entries.get("Cached") ?? 0))
  if (availableBytes === undefined) return fail("neither 'MemAvailable:' nor 'MemFree:' is present")
  return Result.succeed({
    totalBytes,
    availableBytes,
    swapTotalBytes: entries.get("SwapTotal") ?? 0,
    swapFreeBytes: entries.get("SwapFree") ?? 0
  })
}

// ---- /proc/loadavg ------------------------------------------------------------

/** `0.02 0.07 0.05 1/84 4939`: three averages, runnable/total entities, last pid. */
export const parseLoadavg = (text: string): Parsed<LoadAverage> => {
  const [one, five, fifteen, entities] = fieldsOf(text.split("\n")[0] ?? "")
  const tasks = entities === undefined ? null : /^(\d+)\/(\d+)$/.exec(entities)
  if (
    one === undefined || five === undefined || fifteen === undefined || tasks === null ||
    !DECIMAL.test(one) || !DECIMAL.test(five) || !DECIMAL.test(fifteen)
  ) {
    return failure("/proc/loadavg")(`expected "1m 5m 15m runnable/total lastpid", got ${quote(text.trim())}`)
  }
  return Result.succeed({
    one: Number(one),
    five: Number(five),
    fifteen: Number(fifteen),
    runnable: Number(tasks[1]),
    entities: Number(tasks[2])
  })
}

// ---- /proc/diskstats ----------------------------------------------------------

/**
 * Devices whose I/O is not a disk's own: loop and ram-backed devices (ram,
 * zram), and stacked block devices — device-mapper (LVM, LUKS), md RAID, ZFS
 * zvols, network block devices — whose I/O is already counted on the member
 * disks and whose busy time is not the utilisation of any drive.
 */
const VIRTUAL_DEVICE = /^(?:loop|ram|zram|dm-|md|zd|nbd)\d/

/**
 * The kernel names a partition after its disk: `sda` → `sda1`, and with a `p`
 * when the disk name ends in a digit: `nvme0n1` → `nvme0n1p1`, `mmcblk0` →
 * `mmcblk0p1`. A device is a partition when its disk is also listed — which
 * /proc/diskstats always does — so `nvme0n10` (a namespace) is not taken for
 * a partition of `nvme0n1`.
 */
export const isPartition = (name: string, devices: ReadonlySet<string>): boolean => {
  const base = name.replace(/\d+$/, "")
  if (base === name || base === "") return false
  if (devices.has(base)) return true
  const parent = base.slice(0, -1)
  return base.endsWith("p") && /\d$/.test(parent) && devices.has(parent)
}

/** Whole physical (or paravirtual: vda, xvda) disks count; partitions and virtual devices do not. */
export const isCountedDisk = (name: string, devices: ReadonlySet<string>): boolean =>
  !VIRTUAL_DEVICE.test(name) && !isPartition(name, devices)

/**
 * `major minor name` then at least 11 counters (Linux 2.6+; 4.18 adds 4
 * discard counters, 5.5 adds 2 flush counters, both ignored here).
 */
export const parseDiskstats = (text: string): Parsed<ReadonlyArray<DiskCounters>> => {
  const fail = failure("/proc/diskstats")
  const rows: Array<{ readonly line: string; readonly fields: ReadonlyArray<string> }> = []
  for (const line of text.split("\n")) {
    const fields = fieldsOf(line)
    if (fields.length === 0) continue
    if (fields.length < 3 || !UNSIGNED.test(fields[0]!) || !UNSIGNED.test(fields[1]!)) {
      return fail(`expected "major minor name counters…", got ${quote(line)}`)
    }
    rows.push({ line, fields })
  }
  const devices = new Set(rows.map((row) => row.fields[2]!))
  const disks: Array<DiskCounters> = []
  for (const { line, fields } of rows) {
    const name = fields[2]!
    if (!isCountedDisk(name, devices)) continue
    const counters = fields.slice(3, 14).map(counterOf)
    const known = counters.filter((value): value is number => value !== undefined)
    if (known.length < 11) return fail(`${name} needs at least 11 counters, got ${quote(line)}`)
    disks.push({
      name,
      readsCompleted: known[0]!,
      sectorsRead: known[2]!,
      writesCompleted: known[4]!,
      sectorsWritten: known[6]!,
      ioTicksMs: known[9]!
    })
  }
  return Result.succeed(disks)
}

// ---- a whole sample -----------------------------------------------------------

export interface ProcTexts {
  readonly stat: string
  readonly meminfo: string
  readonly loadavg: string
  readonly diskstats: string
}

export const parseSample = (texts: ProcTexts, monotonicMs: number): Parsed<RawSample> =>
  Result.map(
    Result.all({
      stat: parseStat(texts.stat),
      memory: parseMeminfo(texts.meminfo),
      load: parseLoadavg(texts.loadavg),
      disks: parseDiskstats(texts.diskstats)
    }),
    ({ disks, load, memory, stat }) => ({ monotonicMs, cpu: stat.cpu, cpuCount: stat.cpuCount, memory, load, disks })
  )
