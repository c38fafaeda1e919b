/**
 * smartctl-format JSON for a disk in a given condition, for tests, the e2e
 * stand-in and benchmarks: "an ATA disk with 40 reallocated sectors", "an
 * NVMe drive with its spare below threshold". The shape follows
 * `smartctl --json -x` 7.x, as in the hand-written fixtures.
 */
export interface AtaCondition {
  readonly device?: string
  readonly model?: string
  readonly serial?: string
  readonly reallocated?: number
  readonly reportedUncorrect?: number
  /** Packed like some Seagate drives: three 16-bit counters. */
  readonly commandTimeout?: readonly [number, number, number]
  readonly pending?: number
  readonly offlineUncorrectable?: number
  readonly crcErrors?: number
  readonly temperature?: number
  readonly powerOnHours?: number
  readonly passed?: boolean
  readonly selfTestFailed?: boolean
  /** Normalised value of attribute 5 (threshold 140 on WD drives). */
  readonly reallocatedValue?: number
  readonly ssd?: boolean
}

const header = (argv: ReadonlyArray<string>, exitStatus: number) => ({
  json_format_version: [1, 0],
  smartctl: { version: [7, 3], svn_revision: "5338", platform_info: "x86_64-linux-6.1.0", build_info: "(local build)", argv, exit_status: exitStatus }
})

const attr = (id: number, name: string, value: number, worst: number, thresh: number, prefailure: boolean, raw: number, rawString = String(raw), whenFailed = "") => ({
  id,
  name,
  value,
  worst,
  thresh,
  when_failed: whenFailed,
  flags: { value: prefailure ? 51 : 50, string: prefailure ? "POSR-K " : "-O--CK ", prefailure, updated_online: true, performance: false, error_rate: id === 1, event_count: !prefailure, auto_keep: true },
  raw: { value: raw, string: rawString }
})

export const ataJson = (c: AtaCondition = {}): string => {
  const device = c.device ?? "/dev/sda"
  const timeouts = c.commandTimeout ?? [0, 0, 0]
  const packed = timeouts[0] * 2 ** 32 + timeouts[1] * 2 ** 16 + timeouts[2]
  const reallocatedValue = c.reallocatedValue ?? 200
  const prefailNow = reallocatedValue <= 140
  const exitStatus = (c.passed === false ? 8 : 0) | (prefailNow ? 16 : 0) | (c.selfTestFailed === true ? 128 : 0)
  const temperature = c.temperature ?? 34
  return JSON.stringify({
    ...header(["smartctl", "--json", "-x", device], exitStatus),
    device: { name: device, info_name: `${device} [SAT]`, type: "sat", protocol: "ATA" },
    model_family: c.ssd === true ? "Samsung based SSDs" : "Western Digital Red",
    model_name: c.model ?? (c.ssd === true ? "Samsung SSD 870 EVO 1TB" : "WDC WD40EFRX-68N32N0"),
    serial_number: c.serial ?? "WD-WCC7K1ABCDEF",
    firmware_version: "82.00A82",
    user_capacity: { blocks: 7814037168, bytes: 4000787030016 },
    rotation_rate: c.ssd === true ? 0 : 5400,
    smart_status: { passed: c.passed ?? true },
    ata_smart_attributes: {
      revision: 16,
      table: [
        attr(1, "Raw_Read_Error_Rate", 200, 200, 51, true, 0),
        attr(5, "Reallocated_Sector_Ct", reallocatedValue, reallocatedValue, 140, true, c.reallocated ?? 0, undefined, prefailNow ? "now" : ""),
        attr(9, "Power_On_Hours", 68, 68, 0, false, c.powerOnHours ?? 23456),
        attr(187, "Reported_Uncorrect", 100, 100, 0, false, c.reportedUncorrect ?? 0),
        attr(188, "Command_Timeout", 100, 99, 0, false, packed, timeouts.join(" ")),
        attr(194, "Temperature_Celsius", 116, 100, 0, false, temperature, `${temperature} (Min/Max 18/45)`),
        ...(c.ssd === true ? [] : [
          attr(197, "Current_Pending_Sector", 200, 200, 0, false, c.pending ?? 0),
          attr(198, "Offline_Uncorrectable", 100, 253, 0, false, c.offlineUncorrectable ?? 0)
        ]),
        attr(199, "UDMA_CRC_Error_Count", 200, 200, 0, false, c.crcErrors ?? 0)
      ]
    },
    power_on_time: { hours: c.powerOnHours ?? 23456 },
    temperature: { current: temperature },
    ata_smart_self_test_log: {
      standard: {
        revision: 1,
        table: c.selfTestFailed === true
          ? [
            { type: { value: 2, string: "Extended offline" }, status: { value: 121, string: "Completed: read failure", remaining_percent: 10, passed: false }, lifetime_hours: 23400, lba: 123456789 },
            { type: { value: 1, string: "Short offline" }, status: { value: 0, string: "Completed without error", passed: true }, lifetime_hours: 23300 }
          ]
          : [{ type: { value: 1, string: "Short offline" }, status: { value: 0, string: "Completed without error", passed: true }, lifetime_hours: 23400 }],
        count: c.selfTestFailed === true ? 2 : 1,
        error_count_total: c.selfTestFailed === true ? 1 : 0
      }
    }
  })
}

export interface NvmeCondition {
  readonly device?: string
  readonly model?: string
  readonly serial?: string
  readonly criticalWarning?: number
  readonly availableSpare?: number
  readonly availableSpareThreshold?: number
  readonly percentageUsed?: number
  readonly mediaErrors?: number
  readonly errorLogEntries?: number
  readonly temperature?: number
  readonly passed?: boolean
}

export const nvmeJson = (c: NvmeCondition = {}): string => {
  const device = c.device ?? "/dev/nvme0"
  const failing = c.passed === false || (c.criticalWarning ?? 0) !== 0
  return JSON.stringify({
    ...header(["smartctl", "--json", "-x", device], failing ? 8 : 0),
    device: { name: device, info_name: device, type: "nvme", protocol: "NVMe" },
    model_name: c.model ?? "Samsung SSD 980 500GB",
    serial_number: c.serial ?? "S64DNF0R123456X",
    firmware_version: "2B4QFXO7",
    nvme_total_capacity: 500107862016,
    user_capacity: { blocks: 976773168, bytes: 500107862016 },
    smart_status: { passed: !failing, nvme: { value: c.criticalWarning ?? 0 } },
    nvme_smart_health_information_log: {
      critical_warning: c.criticalWarning ?? 0,
      temperature: c.temperature ?? 38,
      available_spare: c.availableSpare ?? 100,
      available_spare_threshold: c.availableSpareThreshold ?? 10,
      percentage_used: c.percentageUsed ?? 2,
      data_units_read: 12345678,
      data_units_written: 23456789,
      host_reads: 234567890,
      host_writes: 345678901,
      controller_busy_time: 1234,
      power_cycles: 120,
      power_on_hours: 8760,
      unsafe_shutdowns: 7,
      media_errors: c.mediaErrors ?? 0,
      num_err_log_entries: c.errorLogEntries ?? 0,
      warning_temp_time: 0,
      critical_comp_time: 0
    },
    temperature: { current: c.temperature ?? 38 },
    power_cycle_count: 120,
    power_on_time: { hours: 8760 }
  })
}

/** `smartctl --scan-open --json` listing the given devices. */
export const scanJson = (devices: ReadonlyArray<{ readonly name: string; readonly type?: string; readonly protocol?: string; readonly openError?: string }>): string =>
  JSON.stringify({
    ...header(["smartctl", "--scan-open", "--json"], 0),
    devices: devices.map((d) => ({
      name: d.name,
      info_name: d.name,
      type: d.type ?? "sat",
      protocol: d.protocol ?? "ATA",
      ...(d.openError === undefined ? {} : { open_error: d.openError })
    }))
  })
