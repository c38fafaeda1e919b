import { describe, expect, it } from "vitest"
import type { PoolStatus, PoolSummary, Vdev } from "../../../src/adapters/zfs/Zfs.ts"
import { alertsBetween, poolHealth } from "../../../src/actors/lattice/health.ts"

const thresholds = { warn: 80, high: 90, critical: 95 }
const disk = (name: string, state = "ONLINE", errors: Partial<Pick<Vdev, "readErrors" | "writeErrors" | "checksumErrors">> = {}): Vdev => ({
  name,
  type: "disk",
  state,
  readErrors: 0,
  writeErrors: 0,
  checksumErrors: 0,
  ...errors,
  children: []
})
const pool = (state: string, leaves: ReadonlyArray<Vdev>, scan: Partial<PoolStatus["scan"]> = {}): PoolStatus => ({
  name: "tank",
  state,
  dataErrors: "No known data errors",
  vdevs: [{ name: "raidz1-0", type: "raidz", parity: 1, state, readErrors: 0, writeErrors: 0, checksumErrors: 0, children: leaves, class: "data" }],
  scan: { function: "scrub", state: "finished", paused: false, errors: 0, ...scan }
})
const summary = (capacityPercent: number): PoolSummary => ({
  name: "tank",
  health: "ONLINE",
  sizeBytes: 4e12,
  allocatedBytes: 4e12 * capacityPercent / 100,
  freeBytes: 4e12 * (1 - capacityPercent / 100),
  capacityPercent
})

describe("pool health", () => {
  it("sums leaf errors and lists devices that are not ONLINE or have errors", () => {
    const health = poolHealth(
      pool("DEGRADED", [disk("sda"), disk("sdb", "FAULTED", { readErrors: 3 }), disk("sdc", "ONLINE", { checksumErrors: 2 })]),
      summary(50),
      "ok"
    )
    expect(health.healthy).toBe(false)
    expect(health.errors).toEqual({ read: 3, write: 0, checksum: 2 })
    expect(health.problems.map((p) => [p.vdev, p.state])).toEqual([
      ["raidz1-0", "DEGRADED"],
      ["raidz1-0/sdb", "FAULTED"],
      ["raidz1-0/sdc", "ONLINE"]
    ])
  })

  it("alerts on what changed, once: state, device faults, rising errors, capacity, a finished scrub", () => {
    const healthy = [poolHealth(pool("ONLINE", [disk("sda"), disk("sdb")], { state: "scanning" }), summary(79), "ok")]
    expect(alertsBetween(undefined, healthy, thresholds)).toEqual([])
    const worse = [poolHealth(pool("DEGRADED", [disk("sda"), disk("sdb", "FAULTED", { checksumErrors: 12 })]), summary(81), "warn")]
    const texts = alertsBetween(healthy, worse, thresholds).map((a) => `${a.severity}: ${a.text}`)
    expect(texts).toEqual([
      "warning: pool tank is DEGRADED (was ONLINE)",
      "warning: tank: raidz1-0 is DEGRADED",
      "warning: tank: raidz1-0/sdb is FAULTED",
      "warning: tank: raidz1-0/sdb checksum errors 0 → 12",
      "warning: pool tank is 81% full, at or above 80% (warn)",
      "info: scrub of tank finished with 0 errors"
    ])
    // The same reading again says nothing new.
    expect(alertsBetween(worse, worse, thresholds)).toEqual([])
  })

  it("each alert carries a finding code: zpool's msgid for the pool's state when it gives one, else LATTICE's own", () => {
    const healthy = [poolHealth(pool("ONLINE", [disk("sda"), disk("sdb")], { state: "scanning" }), summary(79), "ok")]
    const worse = [poolHealth(pool("DEGRADED", [disk("sda"), disk("sdb", "FAULTED", { checksumErrors: 12 })]), summary(81), "warn")]
    expect(alertsBetween(healthy, worse, thresholds).map((a) => a.code)).toEqual([
      "LATTICE-POOL-DEGRADED",
      "LATTICE-VDEV-DEGRADED",
      "LATTICE-VDEV-FAULTED",
      "LATTICE-VDEV-ERRORS",
      "LATTICE-CAPACITY-WARN",
      "LATTICE-SCRUB-CLEAN"
    ])
    const missing = [poolHealth({ ...pool("DEGRADED", [disk("sda"), disk("sdb", "UNAVAIL")]), msgid: "ZFS-8000-2Q" }, summary(79), "ok")]
    expect(missing[0]!.msgid).toBe("ZFS-8000-2Q")
    expect(alertsBetween(healthy, missing, thresholds).map((a) => a.code)).toEqual(["ZFS-8000-2Q", "LATTICE-VDEV-DEGRADED", "LATTICE-VDEV-UNAVAIL", "LATTICE-SCRUB-CLEAN"])
    // Back to ONLINE is LATTICE's own code (zpool gives no id for a healthy pool), and so is a state it does not know.
    expect(alertsBetween(missing, healthy, thresholds).map((a) => a.code)).toEqual(["LATTICE-POOL-ONLINE"])
    // Errors ZFS repaired on a pool that stays ONLINE: zpool's 9P is the errors alert's code.
    const repaired = [poolHealth({ ...pool("ONLINE", [disk("sda"), disk("sdb", "ONLINE", { checksumErrors: 3 })], { state: "scanning" }), msgid: "ZFS-8000-9P" }, summary(79), "ok")]
    expect(alertsBetween(healthy, repaired, thresholds).map((a) => [a.code, a.text])).toEqual([["ZFS-8000-9P", "tank: raidz1-0/sdb checksum errors 0 → 3"]])
    const odd = [poolHealth(pool("WEIRD", [disk("sda"), disk("sdb")]), summary(79), "ok")]
    expect(alertsBetween(healthy, odd, thresholds).map((a) => a.code)).toEqual(["LATTICE-POOL-UNKNOWN", "LATTICE-VDEV-UNKNOWN", "LATTICE-SCRUB-CLEAN"])
  })

  it("the first reading reports what is already wrong", () => {
    const first = [poolHealth(pool("FAULTED", [disk("sda", "UNAVAIL")]), summary(96), "critical")]
    expect(alertsBetween(undefined, first, thresholds).map((a) => a.severity)).toEqual(["critical", "warning", "warning", "critical"])
  })
})
