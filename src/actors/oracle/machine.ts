/**
 * ORACLE: disk-failure risk from SMART. Once a day (and on every `assess`) it
 * reads each disk with smartctl, keeps one observation a day per disk in the
 * state directory, and judges the disk on the reading and on how its counters
 * moved (risk.ts). Alerts (Alert events on the inspection stream,
 * and the log) come once per rise:
 * a stable non-zero count alerts once, not every day.
 */
import { Clock, Effect, Option } from "effect"
import { Smart, type SmartReport } from "../../adapters/smart/Smart.ts"
import { StateStore } from "../../adapters/state/StateStore.ts"
import { MetricHistory, type Sample } from "../../history/History.ts"
import { AgentEnv, type Capability } from "../../runtime/Agent.ts"
import { type AlertMemo, alertDecision, assess, type Assessment, type Observation, observe } from "./risk.ts"
import { serviceMachine } from "../shared/serve.ts"
import { findingOf } from "./codes.ts"
import { OracleConfig } from "./config.ts"
import { asHistory, DAY_MS, type DiskHistory, historyKey, identityOf, record } from "./history.ts"
import { Oracle } from "./messages.ts"

export const oracleCapabilities: ReadonlyArray<Capability> = [
  {
    name: "failure-risk",
    available: true,
    detail: "per-disk risk (ok/watch/warn/critical), a score and the evidence in words, from `smartctl --json -x`: " +
      "ATA 5/187/188/197/198 and their growth, pre-fail attributes at threshold, failed self-tests, NVMe critical warning, " +
      "media errors, wear and spare, temperature"
  },
  {
    name: "history",
    available: true,
    detail: "one SMART observation a day per disk (by model and serial) in the state directory; `trend` shows it"
  }
]

const ALERTS_KEY = "oracle-alerts"

/** Days of history kept per disk: over a year, so `trend` shows a season's swing next to last year's. */
const HISTORY_DAYS = 400

/** What one assessment of a disk puts in the metric history: what SMART said of it (what the disk reports), and the risk score. */
export const diskSamples = (device: string, observation: Observation, assessment: Assessment): Array<Sample> => {
  const labels = { device }
  const samples: Array<Sample> = []
  const add = (name: string, value: number | undefined) => {
    if (value !== undefined) samples.push({ name, labels, value })
  }
  add("sigmavault_disk_temperature_celsius", observation.temperatureC)
  add("sigmavault_disk_power_on_seconds_total", observation.powerOnHours === undefined ? undefined : observation.powerOnHours * 3600)
  add("sigmavault_disk_reallocated_sectors_total", observation.counters.reallocated)
  add("sigmavault_disk_pending_sectors", observation.counters.pending)
  add("sigmavault_disk_media_errors_total", observation.counters.mediaErrors)
  add("sigmavault_disk_wear_ratio", observation.nvmePercentageUsed === undefined ? undefined : observation.nvmePercentageUsed / 100)
  add("sigmavault_disk_risk_score", assessment.score)
  return samples
}

export const oracleMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const smart = yield* Smart
  const store = yield* StateStore
  const config = yield* OracleConfig
  const metrics = yield* MetricHistory

  const loadHistory = (report: SmartReport) =>
    Effect.gen(function*() {
      const identity = identityOf(report)
      const fresh: DiskHistory<Observation> = {
        identity,
        device: report.device,
        model: report.model,
        serial: report.serial,
        observations: []
      }
      const stored = yield* Effect.catch(store.read(historyKey(identity)), (error) =>
        Effect.as(Effect.logWarning(`${error.message}; the history of ${report.device} starts again`), Option.none()))
      if (Option.isNone(stored)) return fresh
      const history = asHistory<Observation>(stored.value, identity)
      if (history === undefined) {
        yield* Effect.logWarning(`the stored history of ${report.device} has an unexpected shape; it starts again`)
        return fresh
      }
      return { ...history, device: report.device }
    })

  const loadMemos = Effect.map(
    Effect.catch(store.read(ALERTS_KEY), () => Effect.succeed(Option.none())),
    (stored): Record<string, AlertMemo> =>
      Option.isSome(stored) && typeof stored.value === "object" && stored.value !== null
        ? { ...(stored.value as Record<string, AlertMemo>) }
        : {}
  )

  const describeDisk = (report: SmartReport, assessment: Assessment, days: number) => ({
    device: report.device,
    model: report.model,
    serial: report.serial,
    protocol: report.protocol,
    ...assessment,
    historyDays: days
  })

  /** Reads, records and judges one disk; alerts when the judgement calls for it. */
  const assessDisk = (device: string, memos: Record<string, AlertMemo>) =>
    Effect.gen(function*() {
      const report = yield* smart.read(device)
      const now = yield* Clock.currentTimeMillis
      const observation = observe(report, now)
      const before = yield* loadHistory(report)
      const history = record(before, observation, HISTORY_DAYS)
      yield* Effect.catch(store.write(historyKey(history.identity), history), (error) =>
        Effect.logWarning(`cannot keep the SMART history of ${device}: ${error.message}`))
      const assessment = assess(device, observation, before.observations)
      yield* metrics.record(diskSamples(device, observation, assessment))
      const decision = alertDecision(memos[history.identity], assessment)
      if (decision.memo === undefined) delete memos[history.identity]
      else memos[history.identity] = decision.memo
      if (decision.cleared) yield* env.alert({ severity: "info", subject: device, text: `${device}: back to ok`, code: "ORACLE-OK" })
      if (decision.alert) {
        const text = `${device} (${report.model ?? "unknown model"}${report.serial === undefined ? "" : `, serial ${report.serial}`}): ` +
          `${assessment.level}, score ${assessment.score}: ${assessment.evidence.map((e) => e.text).join("; ")}`
        const top = assessment.evidence[0]
        yield* env.alert({
          severity: assessment.level === "critical" ? "critical" : "warning",
          subject: device,
          text,
          code: top === undefined ? "ORACLE-RISK" : findingOf(top.code)
        })
      }
      return describeDisk(report, assessment, history.observations.length)
    })

  /** Every disk smartctl can open; one that cannot be read is reported, not fatal. */
  const assessAll = Effect.gen(function*() {
    const devices = yield* smart.scan
    const memos = yield* loadMemos
    const disks: Array<Effect.Success<ReturnType<typeof assessDisk>>> = []
    const unreadable: Array<{ device: string; reason: string }> = []
    for (const device of devices) {
      if (device.openError !== undefined) {
        unreadable.push({ device: device.name, reason: device.openError })
        continue
      }
      const result = yield* Effect.result(assessDisk(device.name, memos))
      if (result._tag === "Success") disks.push(result.success)
      else unreadable.push({ device: device.name, reason: result.failure.message })
    }
    yield* Effect.catch(store.write(ALERTS_KEY, memos), (error) => Effect.logWarning(`cannot keep alert state: ${error.message}`))
    return { assessedAt: new Date(yield* Clock.currentTimeMillis).toISOString(), disks, unreadable }
  })

  let lastProblem: string | undefined
  const daily = assessAll.pipe(
    Effect.tap(() => Effect.sync(() => (lastProblem = undefined))),
    Effect.catch((error) =>
      error.message === lastProblem
        ? Effect.void
        : Effect.sync(() => (lastProblem = error.message)).pipe(Effect.andThen(Effect.logWarning(`cannot read SMART data: ${error.message}`)))
    )
  )

  return yield* serviceMachine(Oracle, {
    every: { intervalMs: config.intervalMs, run: Effect.asVoid(daily) },
    handlers: {
      assess: (message) =>
        message.device === undefined
          ? assessAll
          : Effect.gen(function*() {
            const memos = yield* loadMemos
            const disk = yield* assessDisk(message.device!, memos)
            yield* Effect.catch(store.write(ALERTS_KEY, memos), () => Effect.void)
            return { assessedAt: new Date(yield* Clock.currentTimeMillis).toISOString(), disks: [disk], unreadable: [] }
          }),
      trend: (message) =>
        Effect.gen(function*() {
          const report = yield* smart.read(message.device)
          const history = yield* loadHistory(report)
          const since = (yield* Clock.currentTimeMillis) - (message.days ?? 30) * DAY_MS
          return { ...history, observations: history.observations.filter((o) => o.at > since) }
        })
    }
  })
})
