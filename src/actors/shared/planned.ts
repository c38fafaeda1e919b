/**
 * Agents whose real job lands in later work still register honestly: their
 * capabilities say `available: false` with what is missing, and their
 * messages are declared with `Protocol.planned(type, { capability })`, which
 * the runtime answers with NotBuiltYet — never a made-up result.
 */
import type { Capability } from "../../runtime/Agent.ts"

/** A capability that is declared but not implemented yet. */
export interface PlannedCapability extends Capability {
  readonly available: false
}

export const plannedCapability = (name: string, detail: string): PlannedCapability => ({
  name,
  available: false,
  detail
})
