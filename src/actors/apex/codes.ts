/** The finding codes APEX's alerts carry (MENTOR explains each). */
import { type FindingCode, findingCode } from "../shared/findings.ts"

export const PLAN_FAILED = "APEX-PLAN-FAILED"
export const PLAN_INTERRUPTED = "APEX-PLAN-INTERRUPTED"

export const codes: ReadonlyArray<FindingCode> = [
  findingCode(PLAN_FAILED, "apex", "a plan ended with a failed or timed-out task; its dependants were skipped"),
  findingCode(PLAN_INTERRUPTED, "apex", "a plan was running when the daemon (or APEX) stopped; tasks not yet finished did not run")
]
