/**
 * SCRIBE's configuration. The daemon's composition root provides it from the
 * configuration file (scribe_schedule, scribe_kinds, scribe_keep,
 * scribe_max_bytes: docs/configuration.md) and the state directory (the
 * archive is `<state_dir>/reports`). A Context.Reference: tests and
 * `selftest` get these defaults, which are the file's defaults too.
 */
import { Context } from "effect"
import type { ReportKind } from "./messages.ts"

export interface ScribeConfigShape {
  /** Where reports are archived. */
  readonly dir: string
  /** When ORBIT asks for the scheduled reports (ORBIT's cron dialect); undefined: no schedule. */
  readonly schedule: string | undefined
  /** The kinds written on schedule, one ORBIT schedule each (`scribe-<kind>`). */
  readonly kinds: ReadonlyArray<ReportKind>
  /** Reports kept: the oldest go first once there are more, or once they take more than `maxBytes`. */
  readonly keep: number
  readonly maxBytes: number
}

export const defaultScribeConfig: ScribeConfigShape = {
  dir: "/var/lib/sigmavault/reports",
  // Monday 07:00, the week's report waiting when the week starts.
  schedule: "0 7 * * 1",
  kinds: ["health", "capacity", "security", "activity"],
  keep: 200,
  maxBytes: 64 * 1024 * 1024
}

export const ScribeConfig = Context.Reference<ScribeConfigShape>("sigmavault/actors/scribe/ScribeConfig", {
  defaultValue: () => defaultScribeConfig
})
