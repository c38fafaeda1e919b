/**
 * Parsers of OpenZFS ≥ 2.3 JSON output (`-j`): `zpool list`, `zpool status`,
 * `zfs list` and `zfs get`, with `--json-int` (numbers) or without (strings
 * such as "12.7T", "45%", "1.00x"). Unknown fields are ignored and optional
 * ones defaulted, so a newer OpenZFS that adds fields still reads. Every
 * parser returns a DecodeError naming the bad field instead of throwing.
 */
import type { Result } from "effect"
import type { DecodeError } from "../command/DecodeError.ts"
import { decodeJson, fail, isObject, join, number, object, optionalString, string } from "../command/json.ts"
import type { Dataset, PoolStatus, PoolSummary, PropertyValue, ScanStatus, Vdev, VdevClass } from "./Zfs.ts"

const UNITS: Readonly<Record<string, number>> = { B: 0, K: 1, M: 2, G: 3, T: 4, P: 5, E: 6 }

/**
 * Bytes from a ZFS size: a number (--json-int) or its human form, which is
 * base 1024 ("12.7T", "512", "0B", "1.5K"). "-" and "none" are no value.
 */
export const parseSize = (value: unknown, path: string): number | undefined => {
  if (value === undefined || value === null) return undefined
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : fail(path, `expected a size, got ${value}`)
  if (typeof value !== "string") return fail(path, "expected a size (a number or text like 12.7T)")
  const text = value.trim()
  if (text === "-" || text === "none" || text === "") return undefined
  const match = /^(\d+(?:\.\d+)?)([BKMGTPE]?)(?:i?B)?$/i.exec(text)
  if (match === null) return fail(path, `expected a size like 12.7T, got ${JSON.stringify(text.slice(0, 40))}`)
  return Math.round(Number(match[1]) * 1024 ** UNITS[(match[2] || "B").toUpperCase()]!)
}

/** "45%" or 45. */
const parsePercent = (value: unknown, path: string): number | undefined => {
  if (value === undefined || value === null || value === "-") return undefined
  if (typeof value === "string") return number(value.replace(/%$/, ""), path)
  return number(value, path)
}

/** "1.00x" or 1. */
const parseRatio = (value: unknown, path: string): number | undefined => {
  if (value === undefined || value === null || value === "-") return undefined
  if (typeof value === "string") return number(value.replace(/x$/, ""), path)
  return number(value, path)
}

/** A count that may be a string ("0") without --json-int; missing is 0. */
const count = (value: unknown, path: string): number => (value === undefined || value === null ? 0 : number(value, path))

const entries = (value: unknown, path: string): ReadonlyArray<readonly [string, unknown, string]> =>
  value === undefined || value === null ? [] : Object.entries(object(value, path)).map(([k, v]) => [k, v, join(path, k)] as const)

/** The `properties` of a pool or dataset: each `{value, source}`. */
const properties = (value: unknown, path: string): Readonly<Record<string, { readonly value: unknown; readonly source: string }>> => {
  const out: Record<string, { value: unknown; source: string }> = {}
  for (const [name, property, at] of entries(value, path)) {
    const p = object(property, at)
    const source = p.source
    out[name] = {
      value: p.value,
      source: isObject(source)
        ? [optionalString(source.type, join(join(at, "source"), "type")), optionalString(source.data, join(join(at, "source"), "data"))]
          .filter((s) => s !== undefined && s !== "-")
          .join(" ")
          .toLowerCase() || "-"
        : optionalString(source, join(at, "source")) ?? "-"
    }
  }
  return out
}

const root = (value: unknown, key: "pools" | "datasets") => {
  const document = object(value, "")
  if (document[key] === undefined) return []
  return entries(document[key], key)
}

export const parsePoolList = (text: string): Result.Result<ReadonlyArray<PoolSummary>, DecodeError> =>
  decodeJson("zpool list -j", text, (value) =>
    root(value, "pools").map(([key, pool, at]): PoolSummary => {
      const p = object(pool, at)
      const props = properties(p.properties, join(at, "properties"))
      const at_ = (name: string) => join(join(join(at, "properties"), name), "value")
      const size = parseSize(props.size?.value, at_("size")) ?? 0
      const allocated = parseSize(props.allocated?.value, at_("allocated")) ?? 0
      const free = parseSize(props.free?.value, at_("free")) ?? Math.max(0, size - allocated)
      return {
        name: optionalString(p.name, join(at, "name")) ?? key,
        health: optionalString(props.health?.value, at_("health")) ?? optionalString(p.state, join(at, "state")) ?? "UNKNOWN",
        sizeBytes: size,
        allocatedBytes: allocated,
        freeBytes: free,
        capacityPercent: parsePercent(props.capacity?.value, at_("capacity")) ?? (size > 0 ? Math.round((allocated / size) * 100) : 0),
        fragmentationPercent: parsePercent(props.fragmentation?.value, at_("fragmentation")),
        dedupRatio: parseRatio(props.dedupratio?.value, at_("dedupratio"))
      }
    }))

const CLASSES: Readonly<Record<string, VdevClass>> = {
  normal: "data",
  data: "data",
  log: "log",
  logs: "log",
  special: "special",
  dedup: "dedup",
  l2cache: "cache",
  cache: "cache",
  spare: "spare",
  spares: "spare"
}

const parity = (type: string, name: string, v: Record<string, unknown>, at: string): number | undefined => {
  if (v.nparity !== undefined) return number(v.nparity, join(at, "nparity"))
  if (v.parity !== undefined) return number(v.parity, join(at, "parity"))
  const match = /^(?:raidz|draid)(\d)/.exec(name)
  if (match !== null) return Number(match[1])
  return type === "raidz" ? 1 : undefined
}

const vdev = (key: string, value: unknown, at: string): Vdev & { readonly rawClass: string | undefined } => {
  const v = object(value, at)
  const name = optionalString(v.name, join(at, "name")) ?? key
  const type = optionalString(v.vdev_type, join(at, "vdev_type")) ?? "unknown"
  return {
    name,
    type,
    parity: type === "raidz" || type === "draid" || /^(raidz|draid)/.test(name) ? parity(type, name, v, at) : undefined,
    state: optionalString(v.state, join(at, "state")) ?? "UNKNOWN",
    path: optionalString(v.path, join(at, "path")),
    readErrors: count(v.read_errors, join(at, "read_errors")),
    writeErrors: count(v.write_errors, join(at, "write_errors")),
    checksumErrors: count(v.checksum_errors, join(at, "checksum_errors")),
    sizeBytes: parseSize(v.total_space ?? v.rep_dev_size ?? v.phys_space, join(at, "total_space")),
    allocatedBytes: parseSize(v.alloc_space, join(at, "alloc_space")),
    rawClass: optionalString(v.class, join(at, "class")),
    children: entries(v.vdevs, join(at, "vdevs")).map(([k, child, childAt]) => {
      const { rawClass: _, ...rest } = vdev(k, child, childAt)
      return rest
    })
  }
}

const SCAN_FUNCTIONS: Readonly<Record<string, ScanStatus["function"]>> = { SCRUB: "scrub", RESILVER: "resilver", NONE: "none" }
const SCAN_STATES: Readonly<Record<string, ScanStatus["state"]>> = {
  SCANNING: "scanning",
  FINISHED: "finished",
  CANCELED: "canceled",
  CANCELLED: "canceled",
  NONE: "none"
}

/** A time as zpool gives it: seconds since the epoch (--json-int) or its own text. */
const time = (value: unknown): string | undefined => {
  if (typeof value === "number" && Number.isFinite(value) && value > 0) return new Date(value * 1000).toISOString()
  if (typeof value === "string" && value !== "-" && value !== "" && value !== "0") return value
  return undefined
}

const noScan: ScanStatus = { function: "none", state: "none", paused: false, errors: 0 }

const scan = (value: unknown, at: string): ScanStatus => {
  if (value === undefined || value === null) return noScan
  const s = object(value, at)
  const fn = SCAN_FUNCTIONS[(optionalString(s.function, join(at, "function")) ?? "NONE").toUpperCase()] ?? "none"
  const state = SCAN_STATES[(optionalString(s.state, join(at, "state")) ?? "NONE").toUpperCase()] ?? "none"
  const toExamine = parseSize(s.to_examine, join(at, "to_examine"))
  const examined = parseSize(s.examined, join(at, "examined"))
  const issued = parseSize(s.issued, join(at, "issued"))
  const pause = s.scrub_pause
  const paused = state === "scanning" && pause !== undefined && pause !== null && pause !== "-" && pause !== "0" && pause !== 0 && pause !== "never"
  const done = issued ?? examined
  return {
    function: fn,
    state,
    paused,
    startTime: time(s.start_time),
    endTime: time(s.end_time),
    toExamineBytes: toExamine,
    examinedBytes: examined,
    issuedBytes: issued,
    processedBytes: parseSize(s.processed, join(at, "processed")),
    errors: count(s.errors, join(at, "errors")),
    percent: state === "finished"
      ? 100
      : state === "scanning" && toExamine !== undefined && toExamine > 0 && done !== undefined
      ? Math.min(100, Math.floor((done / toExamine) * 10_000) / 100)
      : undefined
  }
}

export const parsePoolStatus = (text: string): Result.Result<ReadonlyArray<PoolStatus>, DecodeError> =>
  decodeJson("zpool status -j", text, (value) =>
    root(value, "pools").map(([key, pool, at]): PoolStatus => {
      const p = object(pool, at)
      const tops: Array<Vdev & { readonly class: VdevClass }> = []
      // The root vdev holds the data (and special, dedup, log) vdevs; logs, l2cache and spares may also be listed beside it.
      for (const [rootKey, rootVdev, rootAt] of entries(p.vdevs, join(at, "vdevs"))) {
        const r = vdev(rootKey, rootVdev, rootAt)
        const children = r.type === "root" ? entries(object(rootVdev, rootAt).vdevs, join(rootAt, "vdevs")) : [[rootKey, rootVdev, rootAt] as const]
        for (const [k, child, childAt] of children) {
          const { rawClass, ...top } = vdev(k, child, childAt)
          tops.push({ ...top, class: CLASSES[rawClass ?? "normal"] ?? "data" })
        }
      }
      for (const group of ["logs", "l2cache", "spares", "special", "dedup"] as const) {
        for (const [k, child, childAt] of entries(p[group], join(at, group))) {
          const { rawClass: _, ...top } = vdev(k, child, childAt)
          if (!tops.some((t) => t.name === top.name)) tops.push({ ...top, class: CLASSES[group]! })
        }
      }
      const errorCount = p.error_count
      return {
        name: optionalString(p.name, join(at, "name")) ?? key,
        state: optionalString(p.state, join(at, "state")) ?? "UNKNOWN",
        status: optionalString(p.status, join(at, "status")),
        action: optionalString(p.action, join(at, "action")),
        dataErrors: errorCount === undefined || errorCount === null || count(errorCount, join(at, "error_count")) === 0
          ? "No known data errors"
          : `${count(errorCount, join(at, "error_count"))} data errors, use '-v' for a list`,
        vdevs: tops,
        scan: scan(p.scan_stats, join(at, "scan_stats"))
      }
    }))

const DATASET_TYPES: Readonly<Record<string, Dataset["type"]>> = {
  FILESYSTEM: "filesystem",
  VOLUME: "volume",
  SNAPSHOT: "snapshot",
  BOOKMARK: "bookmark"
}

export const parseDatasetList = (text: string): Result.Result<ReadonlyArray<Dataset>, DecodeError> =>
  decodeJson("zfs list -j", text, (value) =>
    root(value, "datasets").map(([key, dataset, at]): Dataset => {
      const d = object(dataset, at)
      const name = optionalString(d.name, join(at, "name")) ?? key
      const typeText = string(d.type ?? "FILESYSTEM", join(at, "type")).toUpperCase()
      const type = DATASET_TYPES[typeText] ?? fail(join(at, "type"), `unknown dataset type ${JSON.stringify(typeText)}`)
      const props = properties(d.properties, join(at, "properties"))
      const valueAt = (p: string) => join(join(join(at, "properties"), p), "value")
      const mountpoint = optionalString(props.mountpoint?.value, valueAt("mountpoint"))
      const mounted = optionalString(props.mounted?.value, valueAt("mounted"))
      return {
        name,
        pool: optionalString(d.pool, join(at, "pool")) ?? name.split("/")[0]!,
        type,
        usedBytes: parseSize(props.used?.value, valueAt("used")) ?? 0,
        availableBytes: parseSize(props.available?.value ?? props.avail?.value, valueAt("available")) ?? 0,
        referencedBytes: parseSize(props.referenced?.value ?? props.refer?.value, valueAt("referenced")) ?? 0,
        mountpoint: mountpoint !== undefined && mountpoint.startsWith("/") ? mountpoint : undefined,
        mounted: mounted === undefined || mounted === "-" ? undefined : mounted === "yes"
      }
    }))

/** `zfs get -j props dataset`: the one dataset's properties, values as text. */
export const parseProperties = (text: string, dataset: string): Result.Result<Readonly<Record<string, PropertyValue>>, DecodeError> =>
  decodeJson("zfs get -j", text, (value) => {
    const found = root(value, "datasets").find(([key, d]) => key === dataset || (isObject(d) && d.name === dataset))
    if (found === undefined) return fail("datasets", `no entry for ${dataset}`)
    const [, d, at] = found
    const props = properties(object(d, at).properties, join(at, "properties"))
    return Object.fromEntries(
      Object.entries(props).map(([name, p]) => [name, { value: p.value === undefined || p.value === null ? "-" : String(p.value), source: p.source }])
    )
  })
