/**
 * Parsers of OpenZFS ≥ 2.3 JSON output (`-j`): `zpool list`, `zpool status`
 * (nested or `--json-flat-vdevs`), `zfs list` and `zfs get`, with
 * `--json-int` (numbers) or without (zfs's human text: "12.7T", "45%",
 * "1.00x", "0", dates). Field names and value forms follow
 * cmd/zpool/zpool_main.c and cmd/zfs/zfs_main.c. Unknown fields are ignored
 * and optional ones defaulted, so a newer OpenZFS that adds fields still
 * reads. Every parser returns a DecodeError naming the bad field instead of
 * throwing.
 */
import type { Result } from "effect"
import type { DecodeError } from "../command/DecodeError.ts"
import { decodeJson, decodeValue, describe as shown, fail, isObject, join, object, optionalString } from "../command/json.ts"
import { fromNice } from "./units.ts"
import type { Dataset, Hold, PoolStatus, PoolSummary, PropertyValue, ScanStatus, SnapshotRow, Vdev, VdevClass } from "./Zfs.ts"

/**
 * A size or a count: a number (--json-int), its decimal text, or zfs's
 * human form ("12.7T", "512B", "1.21K"). "-" (zfs's "no value") is undefined.
 */
const amount = (value: unknown, path: string): number | undefined => {
  if (value === undefined || value === null) return undefined
  if (typeof value === "number") {
    return Number.isFinite(value) && value >= 0 ? value : fail(path, `expected a non-negative number, got ${shown(value)}`)
  }
  if (typeof value !== "string") return fail(path, `expected a number or a size like 12.7T, got ${shown(value)}`)
  if (value === "-" || value === "") return undefined
  return fromNice(value) ?? fail(path, `expected a number or a size like 12.7T, got ${shown(value)}`)
}

/** Error counters are always printed; a missing one (spares have none) is 0. */
const counter = (value: unknown, path: string): number => amount(value, path) ?? 0

/** "44%" or 44, "1.00x" or "1.00" (--json-int leaves ratios as text). */
const decimal = (value: unknown, path: string, suffix: "%" | "x"): number | undefined => {
  if (value === undefined || value === null || value === "-") return undefined
  if (typeof value === "number" && Number.isFinite(value) && value >= 0) return value
  if (typeof value === "string") {
    const text = value.endsWith(suffix) ? value.slice(0, -1) : value
    if (/^\d+(\.\d+)?$/.test(text)) return Number(text)
  }
  return fail(path, `expected a number like 45${suffix}, got ${shown(value)}`)
}

/** zpool wraps its status and action text for an 80-column terminal ("…An\n\tattempt…"); one paragraph reads anywhere. */
const paragraph = (text: string | undefined): string | undefined => {
  const joined = text?.replace(/\s+/g, " ").trim()
  return joined === undefined || joined === "" || joined === "OK" ? undefined : joined
}

/** A time: seconds since the epoch (--json-int, or its text with -p), or the tool's locale date as given; "-" is never. */
const time = (value: unknown, path: string): string | undefined => {
  if (value === undefined || value === null || value === "-" || value === "" || value === 0 || value === "0") return undefined
  if (typeof value === "number" || (typeof value === "string" && /^\d+$/.test(value))) {
    const seconds = Number(value)
    const date = new Date(seconds * 1000)
    return Number.isFinite(seconds) && seconds >= 0 && !Number.isNaN(date.getTime()) ? date.toISOString() : fail(path, `expected a time, got ${shown(value)}`)
  }
  if (typeof value === "string") return value.trim()
  return fail(path, `expected a time, got ${shown(value)}`)
}

const entries = (value: unknown, path: string): ReadonlyArray<readonly [string, unknown, string]> =>
  value === undefined || value === null ? [] : Object.entries(object(value, path)).map(([k, v]) => [k, v, join(path, k)] as const)

/** The `{"output_version": …, "pools"|"datasets": {…}}` document: its entries; the key must be there. */
const document = (value: unknown, key: "pools" | "datasets") => {
  const root = object(value, "")
  if (root[key] === undefined) return fail(key, `missing: this is not ${key === "pools" ? "zpool" : "zfs"} JSON output`)
  return entries(root[key], key)
}

interface Property {
  readonly value: unknown
  readonly source: string
  /** Path of the value, for errors. */
  readonly at: string
}

const SOURCE_TYPES: Readonly<Record<string, string>> = {
  NONE: "-",
  DEFAULT: "default",
  LOCAL: "local",
  TEMPORARY: "temporary",
  RECEIVED: "received"
}

/** zprop_nvlist_one_property's `{"type": "INHERITED", "data": "tank"}` as `zfs get` prints it: "inherited from tank". */
const sourceText = (source: unknown, at: string): string => {
  if (source === undefined || source === null) return "-"
  if (typeof source === "string") return source
  const s = object(source, at)
  const type = (optionalString(s.type, join(at, "type")) ?? "NONE").toUpperCase()
  const data = optionalString(s.data, join(at, "data"))
  if (type === "INHERITED") return data === undefined || data === "-" ? "inherited" : `inherited from ${data}`
  return SOURCE_TYPES[type] ?? type.toLowerCase()
}

/** The `properties` of a pool or dataset: each `{"value", "source"}`; a value is text or a number, never a structure. */
const properties = (value: unknown, path: string): Readonly<Record<string, Property>> => {
  const out: Record<string, Property> = {}
  for (const [name, property, at] of entries(value, path)) {
    const p = object(property, at)
    const valueAt = join(at, "value")
    if (isObject(p.value) || Array.isArray(p.value)) fail(valueAt, `expected a value, got ${shown(p.value)}`)
    out[name] = { value: p.value, source: sourceText(p.source, join(at, "source")), at: valueAt }
  }
  return out
}

const text = (property: Property | undefined): string | undefined =>
  property === undefined ? undefined : optionalString(property.value, property.at)

// ---------------------------------------------------------------- zpool list

/** `zpool list -j [--json-int]`. zpool prints nothing at all when there are no pools. */
export const parsePoolList = (input: string): Result.Result<ReadonlyArray<PoolSummary>, DecodeError> =>
  decodeJson("zpool list -j", input.trim() === "" ? `{"pools":{}}` : input, (value) =>
    document(value, "pools").map(([key, pool, at]): PoolSummary => {
      const p = object(pool, at)
      const props = properties(p.properties, join(at, "properties"))
      const size = (name: string) => (props[name] === undefined ? undefined : amount(props[name]!.value, props[name]!.at))
      const percent = (name: string, suffix: "%" | "x") => (props[name] === undefined ? undefined : decimal(props[name]!.value, props[name]!.at, suffix))
      const sizeBytes = size("size") ?? 0
      const allocatedBytes = size("allocated") ?? 0
      return {
        name: optionalString(p.name, join(at, "name")) ?? key,
        health: text(props.health) ?? optionalString(p.state, join(at, "state")) ?? "UNKNOWN",
        sizeBytes,
        allocatedBytes,
        freeBytes: size("free") ?? Math.max(0, sizeBytes - allocatedBytes),
        capacityPercent: percent("capacity", "%") ?? (sizeBytes > 0 ? Math.round((allocatedBytes / sizeBytes) * 100) : 0),
        fragmentationPercent: percent("fragmentation", "%"),
        dedupRatio: percent("dedupratio", "x")
      }
    }))

// -------------------------------------------------------------- zpool status

/** fill_vdev_info's "class", and the pool-level groups class_vdevs_nvlist, l2cache_nvlist and spares_nvlist write. */
const CLASSES: Readonly<Record<string, VdevClass>> = {
  normal: "data",
  special: "special",
  dedup: "dedup",
  log: "log",
  logs: "log",
  l2cache: "cache",
  spare: "spare",
  spares: "spare"
}
const GROUPS = ["dedup", "special", "logs", "l2cache", "spares"] as const

/**
 * The JSON gives the kernel's vdev_state_t names; zpool's own text (and
 * everything built on it) says UNAVAIL for CANT_OPEN, as zpool_state_to_name
 * does. Spares keep their AVAIL / INUSE.
 */
const vdevState = (v: Record<string, unknown>, at: string): string => {
  const state = optionalString(v.state, join(at, "state")) ?? "UNKNOWN"
  const aux = optionalString(v.aux, join(at, "aux"))
  switch (state) {
    case "CANT_OPEN":
      return aux === "CORRUPT_DATA" || aux === "BAD_LOG" ? "FAULTED" : aux === "SPLIT_POOL" ? "SPLIT" : "UNAVAIL"
    case "CLOSED":
      return "OFFLINE"
    case "HEALTHY": // as zpool-status(8)'s own example prints it
      return "ONLINE"
    default:
      return state
  }
}

/** zpool_vdev_name gives "raidz2-0" and "draid2:4d:8c:1s-0"; the JSON has no parity field of its own. */
const parityOf = (type: string, name: string): number | undefined => {
  const match = /^(?:raidz|draid)(\d)/.exec(name)
  if (match !== null) return Number(match[1])
  return type === "raidz" || type === "draid" ? 1 : undefined
}

const typeOf = (v: Record<string, unknown>, name: string, at: string): string => {
  const given = optionalString(v.vdev_type, join(at, "vdev_type"))
  if (given !== undefined) return given
  const prefix = /^(mirror|raidz|draid|replacing|spare)/.exec(name)
  return prefix !== null ? prefix[1]! : v.vdevs === undefined ? "disk" : "unknown"
}

type Raw = readonly [key: string, value: unknown, at: string]
type ChildrenOf = (v: Record<string, unknown>, name: string, at: string) => ReadonlyArray<Raw>

/** One vdev and, through `childrenOf`, its subtree. */
const vdev = ([key, value, at]: Raw, childrenOf: ChildrenOf, depth = 0): Vdev => {
  const v = object(value, at)
  if (depth > 64) fail(at, "vdevs nested deeper than any pool can be")
  const name = optionalString(v.name, join(at, "name")) ?? key
  const type = typeOf(v, name, at)
  const size = amount(v.total_space, join(at, "total_space")) ?? amount(v.phys_space, join(at, "phys_space")) ??
    amount(v.rep_dev_size, join(at, "rep_dev_size"))
  return {
    name,
    type,
    parity: type === "raidz" || type === "draid" ? parityOf(type, name) : undefined,
    state: vdevState(v, at),
    path: optionalString(v.path, join(at, "path")),
    readErrors: counter(v.read_errors, join(at, "read_errors")),
    writeErrors: counter(v.write_errors, join(at, "write_errors")),
    checksumErrors: counter(v.checksum_errors, join(at, "checksum_errors")),
    sizeBytes: size,
    allocatedBytes: amount(v.alloc_space, join(at, "alloc_space")),
    children: childrenOf(v, name, at).map((child) => vdev(child, childrenOf, depth + 1))
  }
}

const classOf = (v: unknown, at: string, fallback: VdevClass): VdevClass => {
  if (!isObject(v)) return fallback
  const raw = optionalString(v.class, join(at, "class"))
  return raw === undefined ? fallback : CLASSES[raw] ?? fallback
}

const isRoot = (key: string, v: unknown, pool: string): boolean =>
  isObject(v) && (v.vdev_type === "root" || (v.vdev_type === undefined && (v.name ?? key) === pool))

const nested: ChildrenOf = (v, _name, at) => entries(v.vdevs, join(at, "vdevs"))

/**
 * The default layout: `vdevs` holds the root vdev, whose `vdevs` are the
 * data vdevs; dedup, special, log, cache and spare vdevs sit beside it under
 * `dedup`, `special`, `logs`, `l2cache` and `spares`.
 */
const nestedTops = (p: Record<string, unknown>, pool: string, at: string) => {
  const tops: Array<Vdev & { readonly class: VdevClass }> = []
  for (const [key, value, rootAt] of entries(p.vdevs, join(at, "vdevs"))) {
    const children = isRoot(key, value, pool) ? entries(object(value, rootAt).vdevs, join(rootAt, "vdevs")) : [[key, value, rootAt] as const]
    for (const child of children) tops.push({ ...vdev(child, nested), class: classOf(child[1], child[2], "data") })
  }
  for (const group of GROUPS) {
    for (const child of entries(p[group], join(at, group))) tops.push({ ...vdev(child, nested), class: CLASSES[group]! })
  }
  return tops
}

/**
 * `--json-flat-vdevs`: every vdev is a key of `vdevs`, children name their
 * `parent`, and dedup/special/log/cache/spare vdevs carry only their `class`.
 */
const flatTops = (p: Record<string, unknown>, pool: string, at: string) => {
  const all = entries(p.vdevs, join(at, "vdevs"))
  const parentOf = ([, value, entryAt]: Raw) => (isObject(value) ? optionalString(value.parent, join(entryAt, "parent")) : undefined)
  const root = all.find(([key, value]) => isRoot(key, value, pool))
  const rootName = root === undefined ? pool : (optionalString(object(root[1], root[2]).name, join(root[2], "name")) ?? root[0])
  const byParent = new Map<string, Array<Raw>>()
  for (const entry of all) {
    const parent = parentOf(entry)
    if (parent !== undefined) byParent.set(parent, [...(byParent.get(parent) ?? []), entry])
  }
  // zpool also nests children under `vdevs` in this layout; fall back on `parent` where it does not.
  const childrenOf: ChildrenOf = (v, name, vAt) => (v.vdevs !== undefined ? nested(v, name, vAt) : byParent.get(name) ?? [])
  return all
    .filter((entry) => entry !== root && (parentOf(entry) === rootName || parentOf(entry) === undefined))
    .map((entry) => ({ ...vdev(entry, childrenOf), class: classOf(entry[1], entry[2], "data") }))
}

const SCAN_FUNCTIONS: Readonly<Record<string, ScanStatus["function"]>> = { SCRUB: "scrub", ERRORSCRUB: "scrub", RESILVER: "resilver", NONE: "none" }
const SCAN_STATES: Readonly<Record<string, ScanStatus["state"]>> = {
  SCANNING: "scanning",
  ERRORSCRUBBING: "scanning",
  FINISHED: "finished",
  CANCELED: "canceled",
  NONE: "none"
}

const noScan: ScanStatus = { function: "none", state: "none", paused: false, errors: 0 }

/** Two decimals, as zpool prints "30.00% done"; past 100 % (concurrent writes) reads as 100. */
const percentOf = (done: number | undefined, total: number | undefined): number | undefined =>
  done === undefined || total === undefined || total <= 0 ? undefined : Math.min(100, Math.round((done / total) * 10_000) / 100)

/**
 * A sequential resilver (`zpool replace -s`, dRAID) reports through
 * `rebuild_stats`, one entry per top-level vdev, not through the scan.
 */
const rebuild = (value: unknown, at: string): ScanStatus | undefined => {
  for (const [, entry, entryAt] of entries(value, at)) {
    const r = object(entry, entryAt)
    if (optionalString(r.state, join(entryAt, "state")) !== "ACTIVE") continue
    const toScan = amount(r.to_scan, join(entryAt, "to_scan"))
    const issued = amount(r.issued, join(entryAt, "issued"))
    return {
      function: "resilver",
      state: "scanning",
      paused: false,
      startTime: time(r.start_time, join(entryAt, "start_time")),
      toExamineBytes: toScan,
      examinedBytes: amount(r.scanned, join(entryAt, "scanned")),
      issuedBytes: issued,
      processedBytes: amount(r.rebuilt, join(entryAt, "rebuilt")),
      errors: counter(r.errors, join(entryAt, "errors")),
      percent: percentOf(issued, toScan)
    }
  }
  return undefined
}

/** scan_status_nvlist's `scan_stats`: absent when the pool was never scanned. */
const scan = (value: unknown, at: string): ScanStatus => {
  if (value === undefined || value === null) return noScan
  const s = object(value, at)
  const fnText = optionalString(s.function, join(at, "function")) ?? "NONE"
  const stateText = optionalString(s.state, join(at, "state")) ?? "NONE"
  const state = SCAN_STATES[stateText.toUpperCase()] ?? "none"
  const toExamine = amount(s.to_examine, join(at, "to_examine"))
  const skipped = amount(s.skipped, join(at, "skipped")) ?? 0
  const examined = amount(s.examined, join(at, "examined"))
  const issued = amount(s.issued, join(at, "issued"))
  const pausedSince = time(s.scrub_pause, join(at, "scrub_pause"))
  const sequential = state === "scanning" ? undefined : rebuild(s.rebuild_stats, join(at, "rebuild_stats"))
  if (sequential !== undefined) return sequential
  return {
    function: SCAN_FUNCTIONS[fnText.toUpperCase()] ?? "none",
    state,
    paused: state === "scanning" && pausedSince !== undefined,
    startTime: time(s.start_time, join(at, "start_time")),
    endTime: time(s.end_time, join(at, "end_time")),
    toExamineBytes: toExamine,
    examinedBytes: examined,
    issuedBytes: issued,
    processedBytes: amount(s.processed, join(at, "processed")),
    errors: counter(s.errors, join(at, "errors")),
    // As zpool computes "% done": issued over what is left to examine once skipped blocks are taken out.
    percent: state === "finished"
      ? 100
      : state === "scanning"
      ? percentOf(issued ?? examined, toExamine === undefined ? undefined : toExamine - skipped)
      : undefined
  }
}

/** zpool's message ids look like "ZFS-8000-9P"; anything else (an empty string, a future format) is dropped rather than passed on as a code. */
const msgidOf = (value: string | undefined): string | undefined =>
  value !== undefined && /^ZFS-\d{4}-[0-9A-Z]{2}$/.test(value.trim()) ? value.trim() : undefined

/** `zpool status -j [--json-int] [--json-flat-vdevs] [--json-pool-key-guid]`. */
export const parsePoolStatus = (input: string): Result.Result<ReadonlyArray<PoolStatus>, DecodeError> =>
  decodeJson("zpool status -j", input, (value) =>
    document(value, "pools").map(([key, pool, at]): PoolStatus => {
      const p = object(pool, at)
      const name = optionalString(p.name, join(at, "name")) ?? key
      const flat = entries(p.vdevs, join(at, "vdevs")).some(([, v]) => isObject(v) && v.parent !== undefined)
      const seen = new Set<string>()
      const vdevs = (flat ? flatTops(p, name, at) : nestedTops(p, name, at)).filter((v) => {
        const fresh = !seen.has(v.name)
        seen.add(v.name)
        return fresh
      })
      const errorCount = counter(p.error_count, join(at, "error_count"))
      return {
        name,
        state: optionalString(p.state, join(at, "state")) ?? "UNKNOWN",
        status: paragraph(optionalString(p.status, join(at, "status"))),
        action: paragraph(optionalString(p.action, join(at, "action"))),
        msgid: msgidOf(optionalString(p.msgid, join(at, "msgid"))),
        dataErrors: errorCount === 0 ? "No known data errors" : `${errorCount} data errors, use '-v' for a list`,
        vdevs,
        scan: scan(p.scan_stats, join(at, "scan_stats"))
      }
    }))

// ------------------------------------------------------------ zfs list / get

const DATASET_TYPES: Readonly<Record<string, Dataset["type"]>> = {
  FILESYSTEM: "filesystem",
  VOLUME: "volume",
  SNAPSHOT: "snapshot",
  BOOKMARK: "bookmark"
}

/** `zfs list -j [--json-int] -o name,type,used,available,referenced,mountpoint,mounted`. */
export const parseDatasetList = (input: string): Result.Result<ReadonlyArray<Dataset>, DecodeError> =>
  decodeJson("zfs list -j", input, (value) =>
    document(value, "datasets").map(([key, dataset, at]): Dataset => {
      const d = object(dataset, at)
      const name = optionalString(d.name, join(at, "name")) ?? key
      const props = properties(d.properties, join(at, "properties"))
      const typeText = (optionalString(d.type, join(at, "type")) ?? text(props.type) ?? "FILESYSTEM").toUpperCase()
      const type = DATASET_TYPES[typeText] ?? fail(join(at, "type"), `unknown dataset type ${shown(typeText)}`)
      const bytes = (property: Property | undefined) => (property === undefined ? 0 : amount(property.value, property.at) ?? 0)
      const mountpoint = text(props.mountpoint)
      const mounted = text(props.mounted)
      return {
        name,
        pool: optionalString(d.pool, join(at, "pool")) ?? name.split(/[/@#]/)[0]!,
        type,
        usedBytes: bytes(props.used),
        availableBytes: bytes(props.available ?? props.avail),
        referencedBytes: bytes(props.referenced ?? props.refer),
        mountpoint: mountpoint !== undefined && mountpoint.startsWith("/") ? mountpoint : undefined,
        mounted: mounted === "yes" ? true : mounted === "no" ? false : undefined
      }
    }))

/** `zfs get -j [--json-int] props dataset`: that dataset's properties, values as text. */
export const parseProperties = (input: string, dataset: string): Result.Result<Readonly<Record<string, PropertyValue>>, DecodeError> =>
  decodeJson("zfs get -j", input, (value) => {
    const found = document(value, "datasets").find(([key, d]) => (isObject(d) && typeof d.name === "string" ? d.name : key) === dataset)
    if (found === undefined) return fail("datasets", `no entry for ${dataset}`)
    const [, d, at] = found
    const props = properties(object(d, at).properties, join(at, "properties"))
    const out: Record<string, PropertyValue> = {}
    for (const [name, p] of Object.entries(props)) {
      out[name] = { value: p.value === undefined || p.value === null ? "-" : String(p.value), source: p.source }
    }
    return out
  })

// ------------------------------------------------------------ snapshots (HELIX)

const snapshotParts = (name: string, at: string): readonly [string, string] => {
  const split = name.indexOf("@")
  if (split <= 0 || split === name.length - 1) return fail(at, `expected a snapshot name dataset@snapshot, got ${shown(name)}`)
  return [name.slice(0, split), name.slice(split + 1)]
}

const wholeSeconds = (value: unknown, path: string): number => {
  const seconds = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value
  if (typeof seconds !== "number" || !Number.isSafeInteger(seconds) || seconds < 0) {
    return fail(path, `expected seconds since the epoch (--json-int or -p), got ${shown(value)}`)
  }
  return seconds
}

/** `zfs list -j --json-int -t snapshot -o name,creation,used,referenced,userrefs`. zfs prints nothing when there are none. */
export const parseSnapshotList = (input: string): Result.Result<ReadonlyArray<SnapshotRow>, DecodeError> =>
  decodeJson("zfs list -j -t snapshot", input.trim() === "" ? `{"datasets":{}}` : input, (value) =>
    document(value, "datasets").map(([key, snapshot, at]): SnapshotRow => {
      const s = object(snapshot, at)
      const name = optionalString(s.name, join(at, "name")) ?? key
      const [dataset, label] = snapshotParts(name, join(at, "name"))
      const props = properties(s.properties, join(at, "properties"))
      const creation = props.creation ?? fail(join(at, "properties.creation"), "missing: list with -o creation")
      const bytes = (property: Property | undefined) => (property === undefined ? undefined : amount(property.value, property.at))
      return {
        name,
        dataset,
        snapshot: label,
        creation: wholeSeconds(creation.value, creation.at),
        usedBytes: bytes(props.used),
        referencedBytes: bytes(props.referenced),
        userrefs: bytes(props.userrefs)
      }
    }))

/** The same columns from an OpenZFS before 2.3: `zfs list -Hp -t snapshot -o name,creation,used,referenced,userrefs`. */
export const parseSnapshotLines = (input: string): Result.Result<ReadonlyArray<SnapshotRow>, DecodeError> =>
  decodeValue("zfs list -Hp -t snapshot", input, (text) =>
    String(text).split("\n").filter((line) => line.trim() !== "").map((line, index): SnapshotRow => {
      const at = `line ${index + 1}`
      const [name, creation, used, referenced, userrefs] = line.split("\t")
      if (name === undefined || creation === undefined) return fail(at, `expected name and creation separated by tabs, got ${shown(line)}`)
      const [dataset, label] = snapshotParts(name, at)
      return {
        name,
        dataset,
        snapshot: label,
        creation: wholeSeconds(creation, `${at}.creation`),
        usedBytes: amount(used, `${at}.used`),
        referencedBytes: amount(referenced, `${at}.referenced`),
        userrefs: amount(userrefs, `${at}.userrefs`)
      }
    }))

/** `zfs holds -H snapshot`: "name<TAB>tag<TAB>timestamp" per hold. */
export const parseHolds = (input: string): Result.Result<ReadonlyArray<Hold>, DecodeError> =>
  decodeValue("zfs holds -H", input, (text) =>
    String(text).split("\n").filter((line) => line.trim() !== "").map((line, index): Hold => {
      const [, tag, since] = line.split("\t")
      if (tag === undefined || tag === "") return fail(`line ${index + 1}`, `expected name, tag and time separated by tabs, got ${shown(line)}`)
      return since === undefined || since.trim() === "" ? { tag } : { tag, since: since.trim() }
    }))
