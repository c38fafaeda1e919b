/**
 * Realistic `zpool status -j` documents at any size, for benchmarks and
 * fuzzing: the shape cmd/zpool/zpool_main.c writes (root vdev holding raidz2
 * vdevs of `width` disks, leaves with by-id paths and error counters, a scrub
 * in progress), and `stringForm`, which turns a `--json-int` document into
 * the text zpool prints without `--json-int`.
 */
import { toNice } from "../../src/adapters/zfs/units.ts"

export interface SyntheticOptions {
  /** Disks per raidz2 vdev; default 10. */
  readonly width?: number | undefined
  readonly pool?: string | undefined
  /** Every `faultEvery`-th disk is FAULTED with read errors (and its vdev DEGRADED); default none. */
  readonly faultEvery?: number | undefined
  /** Default "int", what `--json-int` prints. */
  readonly form?: "int" | "string" | undefined
}

const DISK_BYTES = 18_000_207_937_536

/** A `zpool status -j --json-int` document (or its plain `-j` form) for one pool of `disks` disks. */
export const syntheticStatusJson = (disks: number, options: SyntheticOptions = {}): string => {
  const width = Math.max(1, options.width ?? 10)
  const pool = options.pool ?? "tank"
  const every = options.faultEvery
  const faulted = (d: number) => every !== undefined && every > 0 && d % every === every - 1
  const vdevs: Record<string, unknown> = {}
  let degraded = false
  for (let v = 0; v * width < disks; v++) {
    const leaves: Record<string, unknown> = {}
    let vdevDegraded = false
    for (let d = v * width; d < Math.min(disks, (v + 1) * width); d++) {
      const name = `scsi-35000c500a1b2${String(d).padStart(4, "0")}`
      vdevDegraded ||= faulted(d)
      leaves[name] = {
        name,
        vdev_type: "disk",
        guid: 1_000_000 + d,
        path: `/dev/disk/by-id/${name}-part1`,
        devid: `${name}-part1`,
        class: "normal",
        state: faulted(d) ? "FAULTED" : "ONLINE",
        rep_dev_size: DISK_BYTES - 2_153_693_184,
        phys_space: DISK_BYTES,
        read_errors: faulted(d) ? 17 : 0,
        write_errors: 0,
        checksum_errors: d % 37 === 5 ? 2 : 0,
        slow_ios: 0,
        ...(faulted(d) ? { aux: "ERR_EXCEEDED" } : {})
      }
    }
    degraded ||= vdevDegraded
    const count = Object.keys(leaves).length
    vdevs[`raidz2-${v}`] = {
      name: `raidz2-${v}`,
      vdev_type: "raidz",
      guid: 2_000 + v,
      class: "normal",
      state: vdevDegraded ? "DEGRADED" : "ONLINE",
      alloc_space: 9_000_000_000_000 * count,
      total_space: DISK_BYTES * count,
      def_space: DISK_BYTES * Math.max(1, count - 2),
      rep_dev_size: DISK_BYTES * count,
      read_errors: 0,
      write_errors: 0,
      checksum_errors: 0,
      vdevs: leaves
    }
  }
  const document = {
    output_version: { command: "zpool status", vers_major: 0, vers_minor: 1 },
    pools: {
      [pool]: {
        name: pool,
        state: degraded ? "DEGRADED" : "ONLINE",
        pool_guid: 42,
        txg: 123_456,
        spa_version: 5000,
        zpl_version: 5,
        ...(degraded
          ? {
            status: "One or more devices are faulted in response to persistent errors.\n\tSufficient replicas exist for the pool to continue functioning in a\n\tdegraded state.\n",
            action: "Replace the faulted device, or use 'zpool clear' to mark the device\n\trepaired.\n"
          }
          : {}),
        scan_stats: {
          function: "SCRUB",
          state: "SCANNING",
          start_time: 1_795_300_000,
          end_time: 0,
          to_examine: 900_000_000_000_000,
          examined: 300_000_000_000_000,
          skipped: 0,
          processed: 0,
          errors: 0,
          bytes_per_scan: 300_000_000_000_000,
          pass_start: 1_795_300_000,
          scrub_pause: 0,
          scrub_spent_paused: 0,
          issued_bytes_per_scan: 250_000_000_000_000,
          issued: 250_000_000_000_000
        },
        vdevs: {
          [pool]: {
            name: pool,
            vdev_type: "root",
            guid: 42,
            class: "normal",
            state: degraded ? "DEGRADED" : "ONLINE",
            read_errors: 0,
            write_errors: 0,
            checksum_errors: 0,
            vdevs
          }
        },
        error_count: 0
      }
    }
  }
  return JSON.stringify(options.form === "string" ? stringForm(document) : document)
}

/** Fields zpool formats with zfs_nicebytes ("1.62T", "512B"). */
const BYTES = new Set([
  "alloc_space",
  "total_space",
  "def_space",
  "rep_dev_size",
  "ex_dev_size",
  "self_healed",
  "phys_space",
  "scan_processed",
  "checkpoint_space",
  "to_examine",
  "examined",
  "skipped",
  "processed",
  "bytes_per_scan",
  "issued_bytes_per_scan",
  "issued",
  "scanned",
  "rebuilt",
  "to_scan",
  "pass_scanned",
  "pass_issued",
  "pass_skipped"
])
/** Fields zpool formats with zfs_nicenum ("0", "1.21K"). */
const COUNTS = new Set(["read_errors", "write_errors", "checksum_errors", "slow_ios", "errors", "error_count", "dio_verify_errors"])
/** Fields zpool formats with format_timestamp: the C locale's date, "-" for never. */
const TIMES = new Set(["start_time", "end_time", "scrub_pause"])

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
const two = (n: number) => String(n).padStart(2, "0")

/** strftime "%a %b %e %H:%M:%S %Z %Y" (glibc's C-locale date format) in UTC. */
export const cDate = (seconds: number): string => {
  const d = new Date(seconds * 1000)
  const day = String(d.getUTCDate()).padStart(2, " ")
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${day} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`
}

/**
 * A `zpool status -j --json-int` document as plain `zpool status -j` prints
 * it: sizes and counters in zfs's human form, times as dates, every other
 * number (guids, txg, versions) as its decimal text; `output_version` stays
 * numeric, as zpool always writes it.
 */
export const stringForm = (value: unknown, key = ""): unknown => {
  if (key === "output_version") return value
  if (typeof value === "number") {
    if (BYTES.has(key)) return toNice(value, "bytes")
    if (COUNTS.has(key)) return toNice(value, "count")
    if (TIMES.has(key)) return value === 0 ? "-" : cDate(value)
    return String(value)
  }
  if (Array.isArray(value)) return value.map((v) => stringForm(v))
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stringForm(v, k)]))
  }
  return value
}
