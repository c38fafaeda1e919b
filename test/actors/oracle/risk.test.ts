import { Result } from "effect"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { parseSmartReport } from "../../../src/adapters/smart/parse.ts"
import { type AtaCondition, ataJson, type NvmeCondition, nvmeJson } from "../../support/smartctlJson.ts"
import { type AlertMemo, alertDecision, assess, type Observation, observe, RANK, type RiskLevel } from "../../../src/actors/oracle/risk.ts"

const DAY = 86_400_000
const T0 = Date.UTC(2026, 0, 1)
const reportOf = (json: string) => Result.getOrThrow(parseSmartReport(json, JSON.parse(json).smartctl.exit_status, "/dev/x"))
const ata = (c: AtaCondition, day: number) => observe(reportOf(ataJson(c)), T0 + day * DAY)
const nvme = (c: NvmeCondition, day: number) => observe(reportOf(nvmeJson(c)), T0 + day * DAY)

/** Plays a life day by day; returns the level each day and the alerts raised. */
const live = (days: ReadonlyArray<Observation>) => {
  const history: Array<Observation> = []
  let memo: AlertMemo | undefined
  const levels: Array<RiskLevel> = []
  const alerts: Array<string> = []
  for (const observation of days) {
    const assessment = assess("/dev/x", observation, history)
    const decision = alertDecision(memo, assessment)
    memo = decision.memo
    if (decision.alert) alerts.push(`${Math.round((observation.at - T0) / DAY)}: ${assessment.level}`)
    levels.push(assessment.level)
    history.push(observation)
  }
  return { levels, alerts }
}

describe("ORACLE's risk model", () => {
  it("a healthy stable drive stays ok for a year without an alert", () => {
    const { levels, alerts } = live(Array.from({ length: 365 }, (_, d) => ata({ powerOnHours: 20000 + 24 * d }, d)))
    expect(new Set(levels)).toEqual(new Set(["ok"]))
    expect(alerts).toEqual([])
  })

  it("reallocated sectors growing 0 → 5 → 12 → 40 escalate, and the evidence says the growth", () => {
    const counts = [...Array(30).fill(0), ...Array(14).fill(5), ...Array(14).fill(12), ...Array(7).fill(40)]
    const days = counts.map((reallocated, d) => ata({ reallocated }, d))
    const { levels, alerts } = live(days)
    expect(levels[29]).toBe("ok")
    expect(RANK[levels[30]!]).toBeGreaterThanOrEqual(RANK.watch)
    expect(RANK[levels[44]!]).toBeGreaterThanOrEqual(RANK[levels[30]!])
    expect(levels[58]).toBe("critical")
    // Once each count has been stable for a week, it settles back down.
    expect(RANK[levels[43]!]).toBeLessThan(RANK[levels[30]!])
    expect(alerts.length).toBeGreaterThanOrEqual(3)
    expect(alerts.length).toBeLessThanOrEqual(4)
    const history = days.slice(0, 58)
    const judged = assess("/dev/x", days[58]!, history)
    expect(judged.evidence[0]!.text).toBe("reallocated sectors (SMART 5) rose from 12 to 40 in the last 7 days, 28 of them in the last day")
  })

  it("a failing NVMe drive is critical, in words", () => {
    const judged = assess("/dev/nvme1", nvme({ criticalWarning: 0x05, availableSpare: 5, availableSpareThreshold: 10, percentageUsed: 103, mediaErrors: 12 }, 0), [])
    expect(judged.level).toBe("critical")
    expect(judged.score).toBeGreaterThanOrEqual(80)
    expect(judged.evidence.map((e) => e.text)).toEqual(expect.arrayContaining([
      "NVMe critical warning: available spare is below its threshold",
      "NVMe critical warning: reliability is degraded by media or internal errors",
      "NVMe available spare 5% is below its threshold 10%",
      "NVMe wear: 103% of its rated endurance used",
      "NVMe media errors: 12 (first reading, no history yet)"
    ]))
    expect(assess("/dev/nvme0", nvme({}, 0), []).level).toBe("ok")
  })

  it("a stable non-zero count alerts once; growth alerts again", () => {
    const days = [...Array.from({ length: 60 }, (_, d) => ata({ reallocated: 8 }, d)), ata({ reallocated: 9 }, 60), ...Array.from({ length: 30 }, (_, d) => ata({ reallocated: 9 }, 61 + d))]
    const { levels, alerts } = live(days)
    expect(levels[0]).toBe("watch")
    expect(levels[59]).toBe("watch")
    expect(alerts).toEqual(["0: watch", "60: warn"])
  })

  it("SMART FAILED, a pre-fail attribute at threshold, a failed self-test", () => {
    expect(assess("/dev/x", ata({ passed: false }, 0), []).level).toBe("critical")
    expect(assess("/dev/x", ata({ reallocatedValue: 140, reallocated: 2000 }, 0), []).evidence[0]!.text)
      .toBe("pre-fail attribute Reallocated_Sector_Ct is at or below its threshold: the drive predicts its own failure")
    expect(assess("/dev/x", ata({ selfTestFailed: true }, 0), []).level).toBe("warn")
  })

  it("attributes a drive does not have give no evidence; temperature alone is at most watch", () => {
    const ssd = assess("/dev/sdd", ata({ ssd: true }, 0), [])
    expect([ssd.level, ssd.evidence]).toEqual(["ok", []])
    expect(assess("/dev/x", ata({ temperature: 70 }, 0), []).level).toBe("watch")
    expect(assess("/dev/x", ata({ commandTimeout: [1, 1, 1] }, 0), []).level).toBe("ok")
  })

  it("is monotone: a worse counter never lowers the level; the score stays within 0–100", () => {
    const condition = fc.record({
      reallocated: fc.nat(5000),
      pending: fc.nat(500),
      offlineUncorrectable: fc.nat(500),
      reportedUncorrect: fc.nat(500),
      temperature: fc.integer({ min: 20, max: 80 })
    })
    fc.assert(fc.property(condition, fc.constantFrom("reallocated", "pending", "offlineUncorrectable", "reportedUncorrect"), fc.integer({ min: 1, max: 1000 }), (c, worse, by) => {
      const base = assess("/dev/x", ata(c, 0), [])
      const bad = assess("/dev/x", ata({ ...c, [worse]: c[worse as keyof typeof c] + by }, 0), [])
      expect(base.score).toBeGreaterThanOrEqual(0)
      expect(bad.score).toBeLessThanOrEqual(100)
      expect(bad.score).toBeGreaterThanOrEqual(base.score)
      expect(RANK[bad.level]).toBeGreaterThanOrEqual(RANK[base.level])
    }))
  })
})
