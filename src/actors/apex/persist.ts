/**
 * APEX's record of plans in the StateStore: an index (key "apex") and one
 * document per plan (a slot, reused once its plan is forgotten), each with
 * every task's message, state, timing and result, so a restarted daemon can
 * say what happened to a plan it was running.
 */
import { Schema } from "effect"
import { Caller } from "../../runtime/Caller.ts"
import { PlanState, TaskState } from "../shared/plan.ts"
import { TaskError } from "./messages.ts"

export const STATE_KEY = "apex"

const Ms = Schema.NullOr(Schema.Number)

export const PersistedTask = Schema.Struct({
  id: Schema.String,
  agent: Schema.String,
  message: Schema.StructWithRest(Schema.Struct({ type: Schema.String }), [Schema.Record(Schema.String, Schema.Unknown)]),
  access: Schema.Literals(["read", "operate", "admin", "runtime"]),
  after: Schema.Array(Schema.String),
  timeoutMs: Schema.Number,
  retries: Schema.Number,
  state: TaskState,
  attempts: Schema.Number,
  startedAt: Ms,
  endedAt: Ms,
  reply: Schema.optionalKey(Schema.Unknown),
  error: Schema.optionalKey(TaskError)
})
export type PersistedTask = typeof PersistedTask.Type

export const PersistedPlan = Schema.Struct({
  id: Schema.String,
  goal: Schema.String,
  owner: Caller,
  createdAt: Schema.Number,
  endedAt: Ms,
  state: PlanState,
  concurrency: Schema.Number,
  reason: Schema.NullOr(Schema.String),
  /** an interrupted plan's alert was raised (once, by the incarnation that found it) */
  announced: Schema.Boolean,
  tasks: Schema.Array(PersistedTask)
})
export type PersistedPlan = typeof PersistedPlan.Type

/** The index (key "apex"): which plan is in which slot document ("apex-plan-SLOT"). */
export const PersistedIndex = Schema.Struct({
  plans: Schema.Array(Schema.Struct({ id: Schema.String, slot: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)) }))
})
export type PersistedIndex = typeof PersistedIndex.Type

/** Each plan has a document of its own, so a running plan's save does not rewrite the others. */
export const slotKey = (slot: number) => `apex-plan-${slot}`

export const decodeIndex = Schema.decodeUnknownExit(PersistedIndex)
export const decodePlan = Schema.decodeUnknownExit(PersistedPlan)
