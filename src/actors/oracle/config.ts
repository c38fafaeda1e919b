/**
 * ORACLE's configuration. The daemon's composition root provides it from the
 * configuration file (smart_check_interval_hours: docs/configuration.md); it
 * is a Context.Reference, so tests and `selftest` get this default, which is
 * the file's default too.
 */
import { Context } from "effect"

export interface OracleConfigShape {
  /** How often every disk's SMART data is read and kept: daily, like smartd's default checks. */
  readonly intervalMs: number
}

export const defaultOracleConfig: OracleConfigShape = {
  intervalMs: 24 * 60 * 60 * 1000
}

export const OracleConfig = Context.Reference<OracleConfigShape>("sigmavault/actors/oracle/OracleConfig", {
  defaultValue: () => defaultOracleConfig
})
