/**
 * LATTICE's view of the pools, as pure functions: one health report from
 * `zpool status` and `zpool list`, and the alerts that one report raises
 * against the previous one (a pool or device changing state, error counters
 * rising, capacity crossing a level, a scrub finishing with errors).
 */
import type { PoolStatus, PoolSummary, Vdev } from "../../adapters/zfs/Zfs.ts"
import { type CapacityThresholds, nextLevel, rank } from "./capacity.ts"
import { poolStateCode, vdevStateCode } from "./codes.ts"
import type { CapacityLevel, DeviceProblem, PoolHealth } from "./messages.ts"

export interface Alert {
  readonly pool: string
  readonly severity: "info" | "warning" | "critical"
  readonly text: string
  /** zpool's message id for a pool-state alert when it gives one, else LATTICE's own (codes.ts). */
  readonly code: string
}

const HEALTHY_STATES = new Set(["ONLINE", "AVAIL", "INUSE"])

const walk = (vdev: Vdev, at: string, visit: (vdev: Vdev, path: string) => void): void => {
  const path = at === "" ? vdev.name : `${at}/${vdev.name}`
  visit(vdev, path)
  for (const child of vdev.children) walk(child, path, visit)
}

export const poolHealth = (
  status: PoolStatus,
  summary: PoolSummary | undefined,
  level: CapacityLevel
): PoolHealth => {
  const problems: Array<DeviceProblem> = []
  const errors = { read: 0, write: 0, checksum: 0 }
  for (const top of status.vdevs) {
    walk(top, "", (vdev, path) => {
      if (vdev.children.length === 0) {
        errors.read += vdev.readErrors
        errors.write += vdev.writeErrors
        errors.checksum += vdev.checksumErrors
      }
      const errored = vdev.readErrors + vdev.writeErrors + vdev.checksumErrors > 0
      if (!HEALTHY_STATES.has(vdev.state) || errored) {
        problems.push({
          vdev: path,
          state: vdev.state,
          readErrors: vdev.readErrors,
          writeErrors: vdev.writeErrors,
          checksumErrors: vdev.checksumErrors
        })
      }
    })
  }
  return {
    name: status.name,
    state: status.state,
    healthy: status.state === "ONLINE" && problems.length === 0,
    capacity: summary === undefined ? undefined : {
      percent: summary.capacityPercent,
      sizeBytes: summary.sizeBytes,
      allocatedBytes: summary.allocatedBytes,
      freeBytes: summary.freeBytes,
      level
    },
    errors,
    problems,
    scrub: status.scan,
    status: status.status,
    action: status.action,
    ...(status.msgid === undefined ? {} : { msgid: status.msgid }),
    dataErrors: status.dataErrors
  }
}

/** The capacity levels after this reading, from the levels before it. */
export const capacityLevels = (
  previous: ReadonlyMap<string, CapacityLevel>,
  summaries: ReadonlyArray<PoolSummary>,
  thresholds: CapacityThresholds,
  hysteresisPoints: number
): Map<string, CapacityLevel> =>
  new Map(summaries.map((s) => [s.name, nextLevel(previous.get(s.name) ?? "ok", s.capacityPercent, thresholds, hysteresisPoints)]))

const problemKey = (p: DeviceProblem) => p.vdev

/**
 * Rising error counters: zpool's own id when it says what they amount to
 * (ZFS-8000-9P, repaired from redundancy, on a pool that stays ONLINE and so
 * raises no state alert; ZFS-8000-8A, files lost), else LATTICE's.
 */
const errorsCode = (pool: PoolHealth): string =>
  pool.msgid === "ZFS-8000-9P" || pool.msgid === "ZFS-8000-8A" ? pool.msgid : "LATTICE-VDEV-ERRORS"

/**
 * What changed between two reports worth telling an administrator. The first
 * report (no previous) alerts on everything already wrong, once.
 */
export const alertsBetween = (
  previous: ReadonlyArray<PoolHealth> | undefined,
  current: ReadonlyArray<PoolHealth>,
  thresholds: CapacityThresholds
): ReadonlyArray<Alert> => {
  const alerts: Array<Alert> = []
  const before = new Map((previous ?? []).map((p) => [p.name, p]))
  for (const pool of current) {
    const old = before.get(pool.name)
    if (old === undefined ? pool.state !== "ONLINE" : old.state !== pool.state) {
      alerts.push({
        pool: pool.name,
        severity: pool.state === "ONLINE" ? "info" : pool.state === "DEGRADED" ? "warning" : "critical",
        text: `pool ${pool.name} is ${pool.state}` + (old === undefined ? "" : ` (was ${old.state})`) +
          (pool.status === undefined || pool.state === "ONLINE" ? "" : `: ${pool.status}`),
        code: pool.state !== "ONLINE" && pool.msgid !== undefined ? pool.msgid : poolStateCode(pool.state)
      })
    }
    const oldProblems = new Map((old?.problems ?? []).map((p) => [problemKey(p), p]))
    for (const problem of pool.problems) {
      const was = oldProblems.get(problemKey(problem))
      if (was !== undefined && was.state !== problem.state) {
        alerts.push({ pool: pool.name, severity: "warning", text: `${pool.name}: ${problem.vdev} is ${problem.state} (was ${was.state})`, code: vdevStateCode(problem.state) })
      } else if (was === undefined && problem.state !== "ONLINE") {
        alerts.push({ pool: pool.name, severity: "warning", text: `${pool.name}: ${problem.vdev} is ${problem.state}`, code: vdevStateCode(problem.state) })
      }
      const rose = (["readErrors", "writeErrors", "checksumErrors"] as const).filter((k) => problem[k] > (was?.[k] ?? 0))
      if (rose.length > 0) {
        const words = rose.map((k) => `${k.replace("Errors", "")} errors ${was?.[k] ?? 0} → ${problem[k]}`).join(", ")
        alerts.push({ pool: pool.name, severity: "warning", text: `${pool.name}: ${problem.vdev} ${words}`, code: errorsCode(pool) })
      }
    }
    const level = pool.capacity?.level ?? "ok"
    const oldLevel = old?.capacity?.level ?? "ok"
    if (pool.capacity !== undefined && level !== oldLevel) {
      const up = rank(level) > rank(oldLevel)
      alerts.push({
        pool: pool.name,
        severity: level === "critical" ? "critical" : up ? "warning" : "info",
        text: up
          ? `pool ${pool.name} is ${pool.capacity.percent}% full, at or above ${thresholds[level as Exclude<CapacityLevel, "ok">]}% (${level})`
          : `pool ${pool.name} is back to ${pool.capacity.percent}% full (${level})`,
        code: `LATTICE-CAPACITY-${level.toUpperCase()}`
      })
    }
    const scanEnded = pool.scrub.state === "finished" && old !== undefined && old.scrub.state === "scanning"
    if (scanEnded) {
      alerts.push({
        pool: pool.name,
        severity: pool.scrub.errors > 0 ? "warning" : "info",
        text: `${pool.scrub.function} of ${pool.name} finished with ${pool.scrub.errors} error${pool.scrub.errors === 1 ? "" : "s"}`,
        code: pool.scrub.function === "resilver"
          ? pool.scrub.errors > 0 ? "LATTICE-RESILVER-ERRORS" : "LATTICE-RESILVER-DONE"
          : pool.scrub.errors > 0 ? "LATTICE-SCRUB-ERRORS" : "LATTICE-SCRUB-CLEAN"
      })
    }
  }
  for (const old of previous ?? []) {
    if (!current.some((p) => p.name === old.name)) {
      alerts.push({ pool: old.name, severity: "warning", text: `pool ${old.name} is gone (exported or destroyed?)`, code: "LATTICE-POOL-GONE" })
    }
  }
  return alerts
}
