/**
 * Alerts with hysteresis, as pure state transitions: one alarm per watched
 * key (cpu, memory, load, disk:<name>), and a bounded history of changes.
 */
import type { MetricName, Threshold, Thresholds } from "./config.ts"
import type { ActiveAlert, AlertTransition } from "./messages.ts"

export type { ActiveAlert, AlertTransition } from "./messages.ts"

export type AlarmState =
  | { readonly _tag: "Quiet"; readonly streak: number }
  | { readonly _tag: "Raised"; readonly since: number; readonly raisedValue: number; readonly latest: number }

export const quiet: AlarmState = { _tag: "Quiet", streak: 0 }

export type Change = "raised" | "cleared"

export interface Step {
  readonly state: AlarmState
  readonly change: Change | undefined
}

/**
 * One sample's value against one alarm. A quiet alarm counts consecutive
 * values at or above raiseAt and raises on the forSamples-th; any value below
 * raiseAt starts the count again. A raised alarm clears on the first value at
 * or below clearAt. A value that is not a number is no evidence: nothing
 * changes. A clearAt above raiseAt (a misconfiguration) is taken as raiseAt.
 */
export const step = (threshold: Threshold, state: AlarmState, value: number, at: number): Step => {
  if (!Number.isFinite(value)) return { state, change: undefined }
  switch (state._tag) {
    case "Quiet": {
      if (value < threshold.raiseAt) return { state: quiet, change: undefined }
      const streak = state.streak + 1
      if (streak < Math.max(1, threshold.forSamples)) return { state: { _tag: "Quiet", streak }, change: undefined }
      return { state: { _tag: "Raised", since: at, raisedValue: value, latest: value }, change: "raised" }
    }
    case "Raised":
      return value <= Math.min(threshold.clearAt, threshold.raiseAt)
        ? { state: quiet, change: "cleared" }
        : { state: { ...state, latest: value }, change: undefined }
  }
}

export interface Reading {
  /** What the alarm is about: "cpu", "memory", "load", "disk:sda". */
  readonly key: string
  readonly metric: MetricName
  readonly value: number
}



export interface AlertBook {
  readonly alarms: ReadonlyMap<string, { readonly metric: MetricName; readonly state: AlarmState }>
  readonly history: ReadonlyArray<AlertTransition>
}

export const emptyBook: AlertBook = { alarms: new Map(), history: [] }

/**
 * One sample's readings against the book. Keys without a reading this time
 * (a disk that went away, a CPU interval too short to measure) keep their state.
 */
export const evaluate = (
  book: AlertBook,
  thresholds: Thresholds,
  readings: ReadonlyArray<Reading>,
  at: number,
  historyLimit: number
): { readonly book: AlertBook; readonly transitions: ReadonlyArray<AlertTransition> } => {
  const alarms = new Map(book.alarms)
  const transitions: Array<AlertTransition> = []
  for (const reading of readings) {
    const threshold = thresholds[reading.metric]
    const next = step(threshold, alarms.get(reading.key)?.state ?? quiet, reading.value, at)
    alarms.set(reading.key, { metric: reading.metric, state: next.state })
    if (next.change !== undefined) {
      transitions.push({
        key: reading.key,
        metric: reading.metric,
        change: next.change,
        at,
        value: reading.value,
        threshold: next.change === "raised" ? threshold.raiseAt : Math.min(threshold.clearAt, threshold.raiseAt)
      })
    }
  }
  const all = [...book.history, ...transitions]
  const history = all.slice(Math.max(0, all.length - Math.max(0, historyLimit)))
  return { book: { alarms, history }, transitions }
}

export const activeAlerts = (book: AlertBook): ReadonlyArray<ActiveAlert> => {
  const active: Array<ActiveAlert> = []
  for (const [key, { metric, state }] of book.alarms) {
    if (state._tag === "Raised") {
      active.push({ key, metric, since: state.since, raisedValue: state.raisedValue, latest: state.latest })
    }
  }
  return active
}
