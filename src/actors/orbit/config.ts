/** ORBIT's built-in schedules and time zone; the composition root or a test may override them. */
import { Context } from "effect"
import type { AgentMessage } from "../../runtime/Agent.ts"

export interface ScheduleSpec {
  readonly name: string
  /** Five cron fields or an alias such as @hourly (see cron.ts). */
  readonly cron: string
  readonly target: string
  readonly message: AgentMessage
  /** Each run is delayed by a random 0..jitterMs, so many NASes do not act in the same second. */
  readonly jitterMs?: number
}

export interface OrbitConfigShape {
  /** IANA zone (e.g. "Europe/Berlin") the cron fields are read in; undefined: the machine's local zone. */
  readonly timeZone: string | undefined
  /** Schedules present from start; `remove` takes one out until it is added again. */
  readonly schedules: ReadonlyArray<ScheduleSpec>
}

export const DEFAULT_SCHEDULES: ReadonlyArray<ScheduleSpec> = [
  { name: "eclipse-self-check", cron: "*/5 * * * *", target: "ECLIPSE", message: { type: "check" } }
]

export class OrbitConfig extends Context.Reference<OrbitConfigShape>("sigmavault/actors/orbit/OrbitConfig", {
  defaultValue: () => ({ timeZone: undefined, schedules: DEFAULT_SCHEDULES })
}) {}
