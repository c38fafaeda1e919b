/** The codes on PHOTON's alerts: one per alert kind; a clear carries its kind's code at severity info. Pure data. */
import { type FindingCode, findingCode } from "../shared/findings.ts"
import type { AlertKind } from "./messages.ts"

export const KIND_CODES: Readonly<Record<AlertKind, string>> = {
  down: "PHOTON-LINK-DOWN",
  errors: "PHOTON-LINK-ERRORS",
  flapping: "PHOTON-LINK-FLAPPING"
}

export const codes: ReadonlyArray<FindingCode> = [
  findingCode("PHOTON-LINK-DOWN", "photon", "a network link is down, set down, or gone"),
  findingCode("PHOTON-LINK-ERRORS", "photon", "a network link is counting errors"),
  findingCode("PHOTON-LINK-FLAPPING", "photon", "a network link keeps going down and up")
]
