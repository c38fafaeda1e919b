/**
 * APEX's plans as data: a DAG of agent messages. APEX validates and runs them;
 * GENESIS and FLUX build them and hand them to APEX `run`. Schemas only:
 * cheap to load, shared by every protocol that carries a plan.
 */
import { Schema } from "effect"
import { AgentCall, Name, PositiveInt, Text } from "./fields.ts"

/** One node of the plan's DAG: a message to an agent, run after the tasks it depends on. */
export const PlanTask = Schema.Struct({
  id: Name,
  ...AgentCall.fields,
  /** ids of tasks that must succeed first */
  after: Schema.optionalKey(Schema.Array(Name)),
  timeoutMs: Schema.optionalKey(PositiveInt),
  /** retries after a failure; APEX allows them only for messages that are safe to repeat */
  retries: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 10 })))
})
export type PlanTask = typeof PlanTask.Type

export const Plan = Schema.Struct({
  goal: Text,
  tasks: Schema.NonEmptyArray(PlanTask),
  /** tasks running at once at most (default: APEX's setting) */
  concurrency: Schema.optionalKey(PositiveInt)
})
export type Plan = typeof Plan.Type

export const TaskState = Schema.Literals(["pending", "running", "succeeded", "failed", "timed-out", "cancelled", "skipped"])
export const PlanState = Schema.Literals(["validating", "running", "succeeded", "failed", "cancelled", "interrupted"])
