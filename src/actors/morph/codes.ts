/** The codes on MORPH's alerts. Pure data. */
import { type FindingCode, findingCode } from "../shared/findings.ts"

export const codes: ReadonlyArray<FindingCode> = [
  findingCode("MORPH-MIGRATION-STOPPED", "morph", "a data migration stopped part way; its journal keeps its place")
]
