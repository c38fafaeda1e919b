/**
 * `smartctl --json -x` and `smartctl --scan-open --json` (smartmontools ≥ 7.0
 * JSON, format version 1). The exit status is a bitmask and a non-zero exit
 * with JSON is an answer (a failing disk exits 8 and up); only when the
 * device could not be opened or read at all is there no report.
 */
import { Result } from "effect"
import type { DecodeError } from "../command/DecodeError.ts"
import { array, decodeJson, fail, isObject, join, number, object, optionalNumber, optionalString } from "../command/json.ts"
import {
  type AtaAttribute,
  type ExitStatus,
  type NvmeHealth,
  type ScannedDevice,
  type ScsiHealth,
  type SelfTestSummary,
  type SmartReport,
  SmartUnreadable
} from "./Smart.ts"

export const decodeExitStatus = (code: number): ExitStatus => ({
  code,
  commandLineError: (code & 1) !== 0,
  deviceOpenFailed: (code & 2) !== 0,
  commandFailed: (code & 4) !== 0,
  diskFailing: (code & 8) !== 0,
  prefailAtThreshold: (code & 16) !== 0,
  pastAtThreshold: (code & 32) !== 0,
  errorLogHasErrors: (code & 64) !== 0,
  selfTestErrors: (code & 128) !== 0
})

/**
 * The counts in an attribute's raw string: "0 0 3" (several 16-bit counters,
 * attribute 188 on some drives) → [0, 0, 3]; "35 (Min/Max 20/45)" → [35];
 * "12345h+06m" → [12345]. Falls back to raw.value.
 */
export const rawCountersOf = (rawString: string, rawValue: number): ReadonlyArray<number> => {
  const head = rawString.split("(")[0]!.trim()
  if (/^\d+( \d+)+$/.test(head)) return head.split(" ").map(Number)
  const first = /^(\d+)/.exec(head)
  return first === null ? [rawValue] : [Number(first[1])]
}

const attribute = (value: unknown, at: string): AtaAttribute => {
  const a = object(value, at)
  const raw = isObject(a.raw) ? a.raw : {}
  const flags = isObject(a.flags) ? a.flags : {}
  const rawValue = optionalNumber(raw.value, join(join(at, "raw"), "value")) ?? 0
  const rawString = optionalString(raw.string, join(join(at, "raw"), "string")) ?? String(rawValue)
  const rawCounters = rawCountersOf(rawString, rawValue)
  return {
    id: number(a.id, join(at, "id")),
    name: optionalString(a.name, join(at, "name")) ?? "Unknown_Attribute",
    value: optionalNumber(a.value, join(at, "value")) ?? 0,
    worst: optionalNumber(a.worst, join(at, "worst")) ?? 0,
    threshold: optionalNumber(a.thresh, join(at, "thresh")) ?? 0,
    prefailure: flags.prefailure === true,
    whenFailed: optionalString(a.when_failed, join(at, "when_failed")) ?? "",
    rawValue,
    rawString,
    rawCounters,
    rawCount: Math.max(...rawCounters)
  }
}

const selfTests = (value: unknown, at: string): SelfTestSummary | undefined => {
  if (!isObject(value)) return undefined
  const standard = isObject(value.standard) ? value.standard : undefined
  if (standard === undefined) return undefined
  const tableAt = join(join(at, "standard"), "table")
  const table = standard.table === undefined ? [] : array(standard.table, tableAt)
  const entries = table.map((entry, i) => {
    const e = object(entry, join(tableAt, i))
    const status = isObject(e.status) ? e.status : {}
    const type = isObject(e.type) ? e.type : {}
    const statusText = optionalString(status.string, join(join(join(tableAt, i), "status"), "string")) ?? ""
    return {
      type: optionalString(type.string, join(join(join(tableAt, i), "type"), "string")) ?? "unknown",
      status: statusText,
      // In progress or aborted by the host is not a failure; "passed" is given only for completed tests.
      passed: status.passed === undefined ? !/fail|error/i.test(statusText) : status.passed === true,
      lifetimeHours: optionalNumber(e.lifetime_hours, join(join(tableAt, i), "lifetime_hours"))
    }
  })
  // smartctl lists the most recent test first.
  return {
    total: entries.length,
    failed: entries.filter((e) => !e.passed).length,
    mostRecentFailed: entries[0] !== undefined && !entries[0].passed,
    mostRecent: entries[0]
  }
}

const nvme = (value: unknown, at: string): NvmeHealth | undefined => {
  if (value === undefined || value === null) return undefined
  const n = object(value, at)
  const need = (key: string) => optionalNumber(n[key], join(at, key)) ?? 0
  return {
    criticalWarning: need("critical_warning"),
    temperatureC: optionalNumber(n.temperature, join(at, "temperature")),
    availableSpare: optionalNumber(n.available_spare, join(at, "available_spare")) ?? 100,
    availableSpareThreshold: need("available_spare_threshold"),
    percentageUsed: need("percentage_used"),
    mediaErrors: need("media_errors"),
    numErrLogEntries: need("num_err_log_entries"),
    unsafeShutdowns: need("unsafe_shutdowns"),
    powerOnHours: need("power_on_hours"),
    dataUnitsWritten: optionalNumber(n.data_units_written, join(at, "data_units_written"))
  }
}

const scsi = (root: Record<string, unknown>): ScsiHealth | undefined => {
  const log = isObject(root.scsi_error_counter_log) ? root.scsi_error_counter_log : undefined
  const uncorrected = (kind: string) => {
    const entry = log !== undefined && isObject(log[kind]) ? log[kind] as Record<string, unknown> : undefined
    return entry === undefined ? undefined : optionalNumber(entry.total_uncorrected_errors, `scsi_error_counter_log.${kind}.total_uncorrected_errors`)
  }
  const grown = optionalNumber(root.scsi_grown_defect_list, "scsi_grown_defect_list")
  const endurance = optionalNumber(root.scsi_percentage_used_endurance_indicator, "scsi_percentage_used_endurance_indicator")
  if (log === undefined && grown === undefined && endurance === undefined) return undefined
  return {
    grownDefectList: grown,
    uncorrectedReadErrors: uncorrected("read"),
    uncorrectedWriteErrors: uncorrected("write"),
    uncorrectedVerifyErrors: uncorrected("verify"),
    percentageUsedEndurance: endurance
  }
}

const messagesOf = (smartctl: unknown): ReadonlyArray<{ readonly severity: string; readonly text: string }> => {
  if (!isObject(smartctl) || !Array.isArray(smartctl.messages)) return []
  return smartctl.messages.flatMap((m) =>
    isObject(m) && typeof m.string === "string" ? [{ severity: typeof m.severity === "string" ? m.severity : "information", text: m.string }] : []
  )
}

const PROTOCOLS: Readonly<Record<string, SmartReport["protocol"]>> = { ATA: "ATA", NVME: "NVMe", SCSI: "SCSI" }

export const parseSmartReport = (
  json: string,
  exitCode: number,
  device: string
): Result.Result<SmartReport, DecodeError | SmartUnreadable> => {
  const decoded = decodeJson("smartctl --json -x", json, (value) => {
    const root = object(value, "")
    const exitStatus = decodeExitStatus(exitCode)
    const messages = messagesOf(root.smartctl)
    const info = isObject(root.device) ? root.device : {}
    const hasData = root.smart_status !== undefined || root.ata_smart_attributes !== undefined ||
      root.nvme_smart_health_information_log !== undefined || root.scsi_error_counter_log !== undefined ||
      root.scsi_grown_defect_list !== undefined
    if (!hasData && (exitStatus.commandLineError || exitStatus.deviceOpenFailed || exitStatus.commandFailed)) {
      const reason = messages.filter((m) => m.severity === "error").map((m) => m.text).join("; ") ||
        messages.map((m) => m.text).join("; ") || `smartctl exited ${exitCode}`
      return new SmartUnreadable({ device, reason })
    }
    const attributesAt = "ata_smart_attributes.table"
    const attributes = isObject(root.ata_smart_attributes) && root.ata_smart_attributes.table !== undefined
      ? array(root.ata_smart_attributes.table, attributesAt).map((a, i) => attribute(a, join(attributesAt, i)))
      : undefined
    const rotation = root.rotation_rate
    const report: SmartReport = {
      device: optionalString(info.name, "device.name") ?? device,
      protocol: PROTOCOLS[(optionalString(info.protocol, "device.protocol") ?? "").toUpperCase()] ?? "unknown",
      model: optionalString(root.model_name, "model_name")?.trim() ?? optionalString(root.scsi_model_name, "scsi_model_name")?.trim(),
      serial: optionalString(root.serial_number, "serial_number")?.trim(),
      firmware: optionalString(root.firmware_version, "firmware_version")?.trim(),
      capacityBytes: isObject(root.user_capacity) ? optionalNumber(root.user_capacity.bytes, "user_capacity.bytes") : undefined,
      rotationRateRpm: optionalNumber(rotation, "rotation_rate"),
      exitStatus,
      passed: isObject(root.smart_status) && typeof root.smart_status.passed === "boolean" ? root.smart_status.passed : undefined,
      temperatureC: isObject(root.temperature) ? optionalNumber(root.temperature.current, "temperature.current") : undefined,
      powerOnHours: isObject(root.power_on_time) ? optionalNumber(root.power_on_time.hours, "power_on_time.hours") : undefined,
      attributes,
      selfTests: selfTests(root.ata_smart_self_test_log, "ata_smart_self_test_log"),
      nvme: nvme(root.nvme_smart_health_information_log, "nvme_smart_health_information_log"),
      scsi: scsi(root),
      messages
    }
    return report
  })
  if (Result.isFailure(decoded)) return Result.fail(decoded.failure)
  return decoded.success instanceof SmartUnreadable ? Result.fail(decoded.success) : Result.succeed(decoded.success)
}

export const parseScan = (json: string): Result.Result<ReadonlyArray<ScannedDevice>, DecodeError> =>
  decodeJson("smartctl --scan-open --json", json, (value) => {
    const root = object(value, "")
    if (root.devices === undefined) return []
    return array(root.devices, "devices").map((d, i): ScannedDevice => {
      const at = join("devices", i)
      const entry = object(d, at)
      return {
        name: optionalString(entry.name, join(at, "name")) ?? fail(join(at, "name"), "a device without a name"),
        type: optionalString(entry.type, join(at, "type")) ?? "auto",
        protocol: optionalString(entry.protocol, join(at, "protocol")) ?? "unknown",
        openError: optionalString(entry.open_error, join(at, "open_error"))
      }
    })
  })
