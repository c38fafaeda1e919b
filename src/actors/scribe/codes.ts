/** The finding codes SCRIBE's alerts carry; MENTOR explains each (src/actors/shared/findings.ts). */
import { type FindingCode, findingCode } from "../shared/findings.ts"

/** `verify-report` found an archived report whose SHA-256 is not the one LEDGER recorded (or whose file is gone). */
export const SCRIBE_REPORT_MODIFIED = "SCRIBE-REPORT-MODIFIED"
/** A scheduled report could not be written to the archive. */
export const SCRIBE_REPORT_FAILED = "SCRIBE-REPORT-FAILED"

export const codes: ReadonlyArray<FindingCode> = [
  findingCode(SCRIBE_REPORT_MODIFIED, "scribe", "an archived report does not match the SHA-256 LEDGER recorded when it was written"),
  findingCode(SCRIBE_REPORT_FAILED, "scribe", "a scheduled report could not be written to the archive")
]
