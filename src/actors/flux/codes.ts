/** The finding codes FLUX's alerts carry (MENTOR explains each one). */
import { type FindingCode, findingCode } from "../shared/findings.ts"

export const FLUX_LOOP = "FLUX-LOOP"
export const FLUX_STORM = "FLUX-STORM"
export const FLUX_ACTION_DENIED = "FLUX-ACTION-DENIED"

export const codes: ReadonlyArray<FindingCode> = [
  findingCode(FLUX_LOOP, "flux", "an automation rule was stopped: its action caused an event that triggered it again"),
  findingCode(FLUX_STORM, "flux", "an automation rule was stopped: it fired more often than the loop guard allows"),
  findingCode(FLUX_ACTION_DENIED, "flux", "an automation rule's action was refused: its owner may no longer send it")
]
