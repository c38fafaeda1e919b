/**
 * The codes on ORACLE's alerts. Each piece of evidence `assess` weighs has a
 * code in the `assess` reply (`smart-failed`, `pending-growth`,
 * `nvme-warning-4`: an interface, kept as it is); an alert carries the
 * finding code of its weightiest evidence (SMART-197-RISING), and a disk back
 * to ok carries ORACLE-OK. Pure data.
 */
import { type FindingCode, findingCode } from "../shared/findings.ts"

/** Evidence code → finding code (and what it means, one line). */
export const EVIDENCE_CODES: Readonly<Record<string, readonly [code: string, source: string, title: string]>> = {
  "smart-failed": ["SMART-FAILED", "smart", "the drive's own SMART health check says FAILED"],
  "prefail-threshold": ["SMART-PREFAIL", "smart", "a pre-fail SMART attribute is at or below its threshold"],
  "failed-in-past": ["SMART-FAILED-IN-PAST", "smart", "a SMART attribute fell to its threshold in the past"],
  "self-test-failed": ["SMART-SELFTEST-FAILED", "smart", "the drive's most recent self-test failed"],
  reallocated: ["SMART-5", "smart", "reallocated sectors (SMART 5)"],
  "reallocated-growth": ["SMART-5-RISING", "smart", "reallocated sectors (SMART 5) are rising"],
  pending: ["SMART-197", "smart", "sectors pending reallocation (SMART 197)"],
  "pending-growth": ["SMART-197-RISING", "smart", "sectors pending reallocation (SMART 197) are rising"],
  offlineUncorrectable: ["SMART-198", "smart", "offline uncorrectable sectors (SMART 198)"],
  "offlineUncorrectable-growth": ["SMART-198-RISING", "smart", "offline uncorrectable sectors (SMART 198) are rising"],
  reportedUncorrect: ["SMART-187", "smart", "reported uncorrectable errors (SMART 187)"],
  "reportedUncorrect-growth": ["SMART-187-RISING", "smart", "reported uncorrectable errors (SMART 187) are rising"],
  commandTimeout: ["SMART-188", "smart", "command timeouts (SMART 188)"],
  "commandTimeout-growth": ["SMART-188-RISING", "smart", "command timeouts (SMART 188) are rising"],
  mediaErrors: ["NVME-MEDIA-ERRORS", "smart", "NVMe media and data-integrity errors"],
  "mediaErrors-growth": ["NVME-MEDIA-ERRORS-RISING", "smart", "NVMe media errors are rising"],
  grownDefects: ["SCSI-GROWN-DEFECTS", "smart", "grown defects on a SCSI/SAS disk"],
  "grownDefects-growth": ["SCSI-GROWN-DEFECTS-RISING", "smart", "grown defects on a SCSI/SAS disk are rising"],
  scsiUncorrected: ["SCSI-UNCORRECTED", "smart", "uncorrected SCSI read/write errors"],
  "scsiUncorrected-growth": ["SCSI-UNCORRECTED-RISING", "smart", "uncorrected SCSI read/write errors are rising"],
  "nvme-warning-1": ["NVME-WARNING-1", "smart", "NVMe critical warning: available spare below its threshold"],
  "nvme-warning-2": ["NVME-WARNING-2", "smart", "NVMe critical warning: temperature outside its limits"],
  "nvme-warning-4": ["NVME-WARNING-4", "smart", "NVMe critical warning: reliability degraded"],
  "nvme-warning-8": ["NVME-WARNING-8", "smart", "NVMe critical warning: the drive is read-only"],
  "nvme-warning-16": ["NVME-WARNING-16", "smart", "NVMe critical warning: volatile memory backup failed"],
  "nvme-warning-32": ["NVME-WARNING-32", "smart", "NVMe critical warning: persistent memory region read-only"],
  "nvme-spare": ["NVME-SPARE", "smart", "NVMe available spare is below its threshold"],
  "nvme-wear": ["NVME-WEAR", "smart", "NVMe drive has used 90 % or more of its rated endurance"],
  temperature: ["DISK-TEMPERATURE", "smart", "the disk runs hot (55 °C or more)"],
  crc: ["SMART-199", "smart", "interface CRC errors (SMART 199) are rising: cable or port"]
}

/** The finding code for an evidence code; an evidence code added later without one falls back to ORACLE-RISK. */
export const findingOf = (evidence: string): string => EVIDENCE_CODES[evidence]?.[0] ?? "ORACLE-RISK"

export const codes: ReadonlyArray<FindingCode> = [
  ...Object.values(EVIDENCE_CODES).map(([code, source, title]) => findingCode(code, source, title)),
  findingCode("ORACLE-RISK", "oracle", "ORACLE rates a disk at risk"),
  findingCode("ORACLE-OK", "oracle", "a disk ORACLE alerted about is back to ok")
]
