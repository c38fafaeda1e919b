/**
 * Finding codes: the stable names of what agents report (an alert's `code`,
 * a FORTRESS finding, a ZFS status id). Each agent that emits codes lists them
 * in its own `codes.ts` as `FindingCode`s; MENTOR's catalogue has an entry for
 * every listed code, and a test enumerates them. Schemas only: cheap to load.
 */
import { Schema } from "effect"

/** "ZFS-8000-9P", "SMART-197", "NVME-SPARE", "FORTRESS-SSH-PASSWORD", "SENTRY-MEMORY": upper case, digits, dashes. */
export const FindingCodeText = Schema.String.check(Schema.isPattern(/^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$/))

export interface FindingCode {
  readonly code: string
  /** the agent that emits it, or "zfs" / "smart" for codes from the tools themselves */
  readonly source: string
  /** one line: what was found */
  readonly title: string
}

export const findingCode = (code: string, source: string, title: string): FindingCode => ({ code, source, title })
