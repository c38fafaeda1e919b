/**
 * APEX's protocol: plans (src/actors/shared/plan.ts) validated, dry-run, run,
 * tracked, cancelled and resumed. Schemas only: every client loads this file.
 */
import { Schema } from "effect"
import * as Protocol from "../../runtime/Protocol.ts"
import { Name, NonNegativeInt, PositiveInt } from "../shared/fields.ts"
import { Plan, PlanState, TaskState } from "../shared/plan.ts"

/** A plan runs only with `confirm: true`; without it the reply is the dry run. */
const Confirm = Schema.optionalKey(Schema.Boolean)

const Access = Schema.Literals(["read", "operate", "admin", "runtime"])
const Iso = Schema.NullOr(Schema.String)

/** A task as the dry run shows it: what would be sent, to whom, in which level, with which rights. */
export const PlannedTask = Schema.Struct({
  id: Schema.String,
  agent: Schema.String,
  type: Schema.String,
  /** the access class the message needs: the caller's rights are checked against it */
  access: Access,
  after: Schema.Array(Schema.String),
  /** 0 for tasks with no dependency; a task's level is one more than its deepest dependency's */
  level: NonNegativeInt,
  timeoutMs: PositiveInt,
  retries: NonNegativeInt,
  message: Schema.Record(Schema.String, Schema.Unknown)
})

/** Tasks one `plan` answer shows at most; a dry run lists this many tasks in full. */
export const MAX_TASKS_SHOWN = 200
export const MAX_DRY_RUN_TASKS = 1000

export const DryRun = Schema.Struct({
  dryRun: Schema.Literal(true),
  /** every task, counted; `tasks` lists the first MAX_DRY_RUN_TASKS in full */
  taskCount: NonNegativeInt,
  goal: Schema.String,
  concurrency: PositiveInt,
  /** task ids in the order they would start with unlimited concurrency (level by level) */
  order: Schema.Array(Schema.String),
  levels: Schema.Array(Schema.Array(Schema.String)),
  tasks: Schema.Array(PlannedTask),
  /** true when at least one task changes state (operate or admin) */
  changesState: Schema.Boolean
})

export const Started = Schema.Struct({ id: Schema.String, state: PlanState })

/** What went wrong with a task, as the agent or the runtime said it. */
export const TaskError = Schema.Struct({ tag: Schema.String, message: Schema.String })

export const TaskView = Schema.Struct({
  id: Schema.String,
  agent: Schema.String,
  type: Schema.String,
  access: Access,
  after: Schema.Array(Schema.String),
  state: TaskState,
  attempts: NonNegativeInt,
  startedAt: Iso,
  endedAt: Iso,
  durationMs: Schema.NullOr(NonNegativeInt),
  /** the agent's reply (its wire form) when the task succeeded */
  reply: Schema.optionalKey(Schema.Unknown),
  error: Schema.optionalKey(TaskError)
})
export type TaskView = typeof TaskView.Type

export const Counts = Schema.Struct({
  pending: NonNegativeInt,
  running: NonNegativeInt,
  succeeded: NonNegativeInt,
  failed: NonNegativeInt,
  "timed-out": NonNegativeInt,
  cancelled: NonNegativeInt,
  skipped: NonNegativeInt
})
export type Counts = typeof Counts.Type

export const PlanSummary = Schema.Struct({
  id: Schema.String,
  goal: Schema.String,
  state: PlanState,
  /** who ran it: "uid 1000", "the daemon" */
  owner: Schema.String,
  createdAt: Schema.String,
  endedAt: Iso,
  tasks: NonNegativeInt,
  counts: Counts
})
export type PlanSummary = typeof PlanSummary.Type

export const PlanView = Schema.Struct({
  ...PlanSummary.fields,
  concurrency: PositiveInt,
  /** why it ended as it did (the first failure, the cancel, the daemon's restart) */
  reason: Schema.NullOr(Schema.String),
  /** the index of the first task shown: a page of at most MAX_TASKS_SHOWN tasks, so the answer stays small */
  offset: NonNegativeInt,
  /** tasks offset … offset + limit, in the plan's order (`tasks` above is their total) */
  taskPage: Schema.Array(TaskView)
})
export type PlanView = typeof PlanView.Type

/** The plan cannot run: a cycle, an unknown agent or task, a message its agent refuses, a right the caller lacks. */
export class InvalidPlan extends Schema.TaggedError<InvalidPlan>()("InvalidPlan", {
  /** the task at fault; null for the plan as a whole */
  task: Schema.NullOr(Schema.String),
  reason: Schema.String
}) {
  override get message() {
    return this.task === null ? `invalid plan: ${this.reason}` : `invalid plan: task '${this.task}': ${this.reason}`
  }
}

export class NoSuchPlan extends Schema.TaggedError<NoSuchPlan>()("NoSuchPlan", { id: Schema.String }) {
  override get message() {
    return `no plan '${this.id}' (finished plans are kept for a while, then forgotten; 'plans' lists them)`
  }
}

/** Only whoever ran a plan, or an admin, may see, cancel, resume or forget it. */
export class NotYourPlan extends Schema.TaggedError<NotYourPlan>()("NotYourPlan", {
  id: Schema.String,
  caller: Schema.String
}) {
  override get message() {
    return `plan '${this.id}' was run by someone else: only they or an admin may see or change it, not ${this.caller}`
  }
}

export class PlanLimit extends Schema.TaggedError<PlanLimit>()("PlanLimit", {
  limit: Schema.Literals(["tasks", "running-plans"]),
  max: Schema.Number
}) {
  override get message() {
    return this.limit === "tasks"
      ? `a plan may have at most ${this.max} tasks`
      : `${this.max} plans are running already (apex_max_running_plans); wait for one to end or cancel one`
  }
}

/** The plan is not in a state that allows this (cancel of a finished plan, resume of a running one). */
export class PlanStateConflict extends Schema.TaggedError<PlanStateConflict>()("PlanStateConflict", {
  id: Schema.String,
  state: PlanState,
  wanted: Schema.String
}) {
  override get message() {
    return `plan '${this.id}' is ${this.state}: cannot ${this.wanted} it`
  }
}

export const Apex = Protocol.make("APEX", [
  Protocol.message("run", {
    doc: "validates a plan (a DAG of agent messages) and answers its dry run; with confirm, starts it on the caller's behalf and answers its id at once",
    access: "operate",
    fields: {
      ...Plan.fields,
      /** a name for the plan (default: one made from the time); refused while a plan of that name is kept */
      id: Schema.optionalKey(Name),
      confirm: Confirm
    },
    reply: Schema.Union([DryRun, Started]),
    rejections: [InvalidPlan, PlanLimit]
  }),
  Protocol.message("plans", {
    doc: "running and recently finished plans (an admin sees everyone's, others their own)",
    access: "read",
    reply: Schema.Struct({ plans: Schema.Array(PlanSummary) })
  }),
  Protocol.message("plan", {
    doc: "one plan with the state, timing and result of each task",
    access: "read",
    fields: {
      id: Name,
      /** the first task to show (default 0) */
      offset: Schema.optionalKey(NonNegativeInt),
      /** how many tasks to show, 0 to 200 (default 200); 0 for the counts only */
      limit: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: MAX_TASKS_SHOWN })))
    },
    reply: PlanView,
    rejections: [NoSuchPlan, NotYourPlan]
  }),
  Protocol.message("cancel", {
    doc: "cancels a running plan: running tasks are interrupted, pending ones cancelled",
    access: "operate",
    fields: { id: Name },
    reply: Schema.Struct({ id: Schema.String, state: PlanState, cancelled: NonNegativeInt }),
    rejections: [NoSuchPlan, NotYourPlan, PlanStateConflict]
  }),
  Protocol.message("resume", {
    doc: "plans (or, with confirm, runs) the tasks of an interrupted, failed or cancelled plan that have not succeeded, checked again against the caller's rights",
    access: "operate",
    fields: { id: Name, confirm: Confirm },
    reply: Schema.Union([DryRun, Started]),
    rejections: [NoSuchPlan, NotYourPlan, PlanStateConflict, InvalidPlan, PlanLimit]
  }),
  Protocol.message("forget", {
    doc: "removes a finished plan from the record",
    access: "admin",
    fields: { id: Name },
    reply: Schema.Struct({ forgotten: Schema.String }),
    rejections: [NoSuchPlan, PlanStateConflict]
  })
])
