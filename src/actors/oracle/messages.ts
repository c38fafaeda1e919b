/** ORACLE's protocol: the single source of its message schemas, replies, rejections and access classes. */
import { Schema } from "effect"
import { SMART_ERRORS } from "../../adapters/smart/Smart.ts"
import * as Protocol from "../../runtime/Protocol.ts"
import { Device, PositiveInt } from "../shared/fields.ts"

export const RiskLevel = Schema.Literals(["ok", "watch", "warn", "critical"])
export type RiskLevel = typeof RiskLevel.Type

const Counters = Schema.Record(Schema.String, Schema.Finite)

export const Evidence = Schema.Struct({ code: Schema.String, weight: Schema.Finite, text: Schema.String })
export type Evidence = typeof Evidence.Type

/** One disk judged: what smartctl said of it, the risk, and the evidence for it. */
export const DiskAssessment = Schema.Struct({
  device: Schema.String,
  model: Schema.optional(Schema.String),
  serial: Schema.optional(Schema.String),
  protocol: Schema.Literals(["ATA", "NVMe", "SCSI", "unknown"]),
  level: RiskLevel,
  score: Schema.Finite,
  evidence: Schema.Array(Evidence),
  /** The counters judged. */
  counters: Counters,
  /** Days of history the judgement could use. */
  historyDays: Schema.Int
})

export const Observation = Schema.Struct({
  /** Wall-clock milliseconds. */
  at: Schema.Finite,
  counters: Counters,
  crcErrors: Schema.optionalKey(Schema.Finite),
  passed: Schema.optionalKey(Schema.Boolean),
  /** Pre-fail attributes at or below their threshold now, and ones that were in the past. */
  prefailNow: Schema.Array(Schema.String),
  failedInPast: Schema.Array(Schema.String),
  selfTestFailed: Schema.Boolean,
  nvmeCriticalWarning: Schema.optionalKey(Schema.Finite),
  nvmeSpare: Schema.optionalKey(Schema.Finite),
  nvmeSpareThreshold: Schema.optionalKey(Schema.Finite),
  nvmePercentageUsed: Schema.optionalKey(Schema.Finite),
  temperatureC: Schema.optionalKey(Schema.Finite),
  powerOnHours: Schema.optionalKey(Schema.Finite)
})
export type Observation = typeof Observation.Type

export const Oracle = Protocol.make("ORACLE", [
  Protocol.message("assess", {
    doc: "every disk (or one): ok/watch/warn/critical, a score and the evidence, from a fresh SMART reading",
    access: "read",
    fields: { device: Schema.optionalKey(Device) },
    reply: Schema.Struct({
      assessedAt: Schema.String,
      disks: Schema.Array(DiskAssessment),
      /** Disks smartctl found but could not read, and why. */
      unreadable: Schema.Array(Schema.Struct({ device: Schema.String, reason: Schema.String }))
    }),
    rejections: SMART_ERRORS
  }),
  Protocol.message("trend", {
    doc: "a disk's daily observations over the last `days` (default 30)",
    access: "read",
    fields: { device: Device, days: Schema.optionalKey(PositiveInt) },
    reply: Schema.Struct({
      identity: Schema.String,
      device: Schema.String,
      model: Schema.optional(Schema.String),
      serial: Schema.optional(Schema.String),
      /** Oldest first, at most one per day. */
      observations: Schema.Array(Observation)
    }),
    rejections: SMART_ERRORS
  })
])
