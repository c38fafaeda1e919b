/** The codes on AXIOM's capacity-forecast alerts. Pure data. */
import { type FindingCode, findingCode } from "../shared/findings.ts"

export const codes: ReadonlyArray<FindingCode> = [
  findingCode("AXIOM-POOL-FULL", "axiom", "a pool is full"),
  findingCode("AXIOM-FULL-SOON", "axiom", "a pool is forecast to be full within the alert horizon")
]
