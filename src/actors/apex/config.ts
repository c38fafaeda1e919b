/**
 * APEX's settings. The daemon's composition root provides them from the
 * configuration file (apex_concurrency, apex_task_timeout_seconds,
 * apex_plans_kept, apex_max_tasks, apex_max_running_plans:
 * docs/configuration.md); a Context.Reference, so tests get these defaults.
 */
import { Context } from "effect"

export interface ApexConfigShape {
  /** Tasks of one plan running at once, unless the plan says otherwise. */
  readonly concurrency: number
  /** A task's timeout unless the task names one. */
  readonly taskTimeoutMs: number
  /** Finished plans kept (in memory and in the state directory); the oldest are forgotten first. */
  readonly plansKept: number
  /** Tasks a plan may have. */
  readonly maxTasks: number
  /** Plans running at once. */
  readonly maxRunningPlans: number
  /** A running plan's state is written at most this often (and always when it ends). */
  readonly saveIntervalMs: number
}

export const defaultApexConfig: ApexConfigShape = {
  concurrency: 4,
  taskTimeoutMs: 300_000,
  plansKept: 100,
  maxTasks: 10_000,
  maxRunningPlans: 8,
  saveIntervalMs: 1000
}

export const ApexConfig = Context.Reference<ApexConfigShape>("sigmavault/actors/apex/ApexConfig", {
  defaultValue: () => defaultApexConfig
})
