/** The codes on HELIX's snapshot-age alerts. Pure data. */
import { type FindingCode, findingCode } from "../shared/findings.ts"

export const codes: ReadonlyArray<FindingCode> = [
  findingCode("HELIX-SNAPSHOTS-NONE", "helix", "a dataset has no snapshots of a period its policy takes"),
  findingCode("HELIX-SNAPSHOTS-OVERDUE", "helix", "a dataset's newest snapshot of a period is older than the critical age"),
  findingCode("HELIX-SNAPSHOTS-STALE", "helix", "a dataset's newest snapshot of a period is older than the warning age")
]

/** The code of an age warning: none at all, past the critical age, or past the warning age. */
export const ageCode = (warning: { readonly level: "warn" | "crit"; readonly ageSeconds: number | null }): string =>
  warning.ageSeconds === null ? "HELIX-SNAPSHOTS-NONE" : warning.level === "crit" ? "HELIX-SNAPSHOTS-OVERDUE" : "HELIX-SNAPSHOTS-STALE"
