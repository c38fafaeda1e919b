/** ORACLE's configuration: a Context.Reference, so it has defaults and tests or the composition root override it. */
import { Context } from "effect"

export interface OracleConfigShape {
  /** How often every disk's SMART data is read and kept: daily, like smartd's default checks. */
  readonly intervalMs: number
  /** Days of history kept per disk. */
  readonly historyDays: number
}

export const defaultOracleConfig: OracleConfigShape = {
  intervalMs: 24 * 60 * 60 * 1000,
  historyDays: 400
}

export const OracleConfig = Context.Reference<OracleConfigShape>("sigmavault/actors/oracle/OracleConfig", {
  defaultValue: () => defaultOracleConfig
})
