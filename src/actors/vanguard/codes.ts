/** The finding codes VANGUARD's alerts carry (MENTOR explains each; docs/updates.md lists them). Pure data. */
import { type FindingCode, findingCode } from "../shared/findings.ts"

export const SECURITY_UPDATES = "VANGUARD-SECURITY-UPDATES"
export const REBOOT_REQUIRED = "VANGUARD-REBOOT-REQUIRED"
export const REFRESH_FAILED = "VANGUARD-REFRESH-FAILED"

export const codes: ReadonlyArray<FindingCode> = [
  findingCode(SECURITY_UPDATES, "vanguard", "security updates are pending"),
  findingCode(REBOOT_REQUIRED, "vanguard", "a reboot is required to finish installed updates"),
  findingCode(REFRESH_FAILED, "vanguard", "the package index could not be refreshed")
]
