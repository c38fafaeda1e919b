/**
 * Port: SMART health as `smartctl --json -x DEVICE` reports it (ATA, NVMe,
 * SCSI), and the devices `smartctl --scan-open --json` finds. smartctl's exit
 * status is a bitmask and a non-zero exit with valid JSON is a normal answer:
 * it is decoded, not treated as failure.
 */
import { Context, type Effect, Schema } from "effect"
import { CommandFailed, CommandTimedOut, OutputTooLarge, type RunError } from "../command/Command.ts"
import { DecodeError } from "../command/DecodeError.ts"
import { InvalidName } from "../command/names.ts"

export class SmartNotInstalled extends Schema.TaggedError<SmartNotInstalled>()("SmartNotInstalled", {}) {
  override get message() {
    return "smartmontools is not installed (smartctl is not on PATH)"
  }
}

/** smartctl answered, but could not read the device (exit bits 0–2 with no SMART data). */
export class SmartUnreadable extends Schema.TaggedError<SmartUnreadable>()("SmartUnreadable", {
  device: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `cannot read SMART data of ${this.device}: ${this.reason}`
  }
}

export type SmartError = SmartNotInstalled | SmartUnreadable | Exclude<RunError, { readonly _tag: "ToolMissing" }> | DecodeError | InvalidName

/** Every SmartError's schema, for the protocols of agents that pass them on as rejections. */
export const SMART_ERRORS = [
  SmartNotInstalled,
  SmartUnreadable,
  CommandTimedOut,
  OutputTooLarge,
  CommandFailed,
  DecodeError,
  InvalidName
] as const

/** smartctl(8) EXIT STATUS, bit by bit. */
export interface ExitStatus {
  readonly code: number
  /** bit 0 */ readonly commandLineError: boolean
  /** bit 1 */ readonly deviceOpenFailed: boolean
  /** bit 2 */ readonly commandFailed: boolean
  /** bit 3: SMART status "DISK FAILING" */ readonly diskFailing: boolean
  /** bit 4: pre-fail attributes at or below threshold */ readonly prefailAtThreshold: boolean
  /** bit 5: attributes at or below threshold some time in the past */ readonly pastAtThreshold: boolean
  /** bit 6: the device error log has errors */ readonly errorLogHasErrors: boolean
  /** bit 7: the self-test log has errors */ readonly selfTestErrors: boolean
}

export interface AtaAttribute {
  readonly id: number
  readonly name: string
  /** Normalised value, worst and threshold (1–253, higher is better). */
  readonly value: number
  readonly worst: number
  readonly threshold: number
  readonly prefailure: boolean
  /** "", "past" or "now" (smartctl's when_failed). */
  readonly whenFailed: string
  /** raw.value as smartctl gives it (may pack several counters, see rawCounters). */
  readonly rawValue: number
  readonly rawString: string
  /**
   * The raw count(s): the integers of raw.string when it lists several 16-bit
   * counters ("0 0 3" on attribute 188 of some drives), else [raw count]; for
   * attributes whose raw.string is "35 (Min/Max 20/45)" the first number.
   */
  readonly rawCounters: ReadonlyArray<number>
  /** The count to reason about: the largest of rawCounters. */
  readonly rawCount: number
}

export interface SelfTestSummary {
  readonly total: number
  readonly failed: number
  /** The most recent completed test failed. */
  readonly mostRecentFailed: boolean
  readonly mostRecent?: { readonly type: string; readonly status: string; readonly passed: boolean; readonly lifetimeHours?: number | undefined } | undefined
}

export interface NvmeHealth {
  /** Bit field: 0 spare below threshold, 1 temperature, 2 reliability degraded, 3 read-only, 4 volatile backup failed, 5 PMR read-only. */
  readonly criticalWarning: number
  readonly temperatureC?: number | undefined
  readonly availableSpare: number
  readonly availableSpareThreshold: number
  readonly percentageUsed: number
  readonly mediaErrors: number
  readonly numErrLogEntries: number
  readonly unsafeShutdowns: number
  readonly powerOnHours: number
  readonly dataUnitsWritten?: number | undefined
}

export interface ScsiHealth {
  readonly grownDefectList?: number | undefined
  readonly uncorrectedReadErrors?: number | undefined
  readonly uncorrectedWriteErrors?: number | undefined
  readonly uncorrectedVerifyErrors?: number | undefined
  /** Percentage used endurance indicator (SSDs). */
  readonly percentageUsedEndurance?: number | undefined
}

export interface SmartReport {
  readonly device: string
  readonly protocol: "ATA" | "NVMe" | "SCSI" | "unknown"
  readonly model?: string | undefined
  readonly serial?: string | undefined
  readonly firmware?: string | undefined
  readonly capacityBytes?: number | undefined
  /** 0 for SSDs ("Solid State Device"), rpm for spinning disks, undefined when not reported. */
  readonly rotationRateRpm?: number | undefined
  readonly exitStatus: ExitStatus
  /** smart_status.passed; undefined when the device did not report it. */
  readonly passed?: boolean | undefined
  readonly temperatureC?: number | undefined
  readonly powerOnHours?: number | undefined
  /** ATA only. */
  readonly attributes?: ReadonlyArray<AtaAttribute> | undefined
  readonly selfTests?: SelfTestSummary | undefined
  readonly nvme?: NvmeHealth | undefined
  readonly scsi?: ScsiHealth | undefined
  /** smartctl's messages (errors and warnings), as given. */
  readonly messages: ReadonlyArray<{ readonly severity: string; readonly text: string }>
}

export interface ScannedDevice {
  /** "/dev/sda" */
  readonly name: string
  /** The -d type smartctl chose: "sat", "nvme", "scsi", "auto", … */
  readonly type: string
  readonly protocol: string
  /** --scan-open could not open it: the message. */
  readonly openError?: string | undefined
}

export class Smart extends Context.Service<Smart, {
  readonly scan: Effect.Effect<ReadonlyArray<ScannedDevice>, SmartError>
  readonly read: (device: string) => Effect.Effect<SmartReport, SmartError>
}>()("sigmavault/adapters/smart/Smart") {}
