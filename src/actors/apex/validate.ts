/**
 * A plan checked before anything runs: ids unique, `after` names tasks of the
 * plan, no cycle (the cycle is named), every agent known and its message one
 * its protocol accepts (built, and valid by its schema), the caller allowed to
 * send each message, retries only on messages safe to repeat (read access).
 * The result is the plan as APEX runs it: each task with its access class,
 * timeout, retries, dependencies as indices, and its level in the DAG.
 */
import { Cause, Exit, Result } from "effect"
import type { AgentMessage, SystemHandle } from "../../runtime/Agent.ts"
import type { Caller } from "../../runtime/Caller.ts"
import { describeError } from "../../runtime/Errors.ts"
import type { PlanTask } from "../shared/plan.ts"
import type { ApexConfigShape } from "./config.ts"
import { InvalidPlan, MAX_DRY_RUN_TASKS, PlanLimit } from "./messages.ts"

export type Access = "read" | "operate" | "admin" | "runtime"

export interface CheckedTask {
  readonly id: string
  readonly agent: string
  readonly message: AgentMessage
  readonly access: Access
  readonly after: ReadonlyArray<string>
  /** indices of the tasks this one waits for */
  readonly deps: ReadonlyArray<number>
  /** indices of the tasks waiting for this one */
  readonly dependants: ReadonlyArray<number>
  readonly level: number
  readonly timeoutMs: number
  readonly retries: number
}

export interface CheckedPlan {
  readonly goal: string
  readonly concurrency: number
  readonly tasks: ReadonlyArray<CheckedTask>
  readonly levels: ReadonlyArray<ReadonlyArray<string>>
}

export interface PlanInput {
  readonly goal: string
  readonly tasks: ReadonlyArray<PlanTask>
  readonly concurrency?: number | undefined
}

const invalid = (task: string | null, reason: string) => Result.fail(new InvalidPlan({ task, reason }))

/** One cycle among `remaining` (tasks Kahn's algorithm could not order), as "a → b → a". */
const findCycle = (remaining: ReadonlySet<number>, deps: ReadonlyArray<ReadonlyArray<number>>, ids: ReadonlyArray<string>): string => {
  // Every remaining task has a remaining dependency: walking dependencies must revisit a task.
  const start = remaining.values().next().value!
  const seenAt = new Map<number, number>()
  const path: Array<number> = []
  let at = start
  while (!seenAt.has(at)) {
    seenAt.set(at, path.length)
    path.push(at)
    at = deps[at]!.find((d) => remaining.has(d))!
  }
  // path[i] waits for path[i+1]: print the order in which they would have to run.
  const cycle = path.slice(seenAt.get(at)!).reverse()
  return [...cycle, cycle[0]!].map((i) => ids[i]).join(" → ")
}

export const checkPlan = (
  plan: PlanInput,
  caller: Caller,
  system: Pick<SystemHandle, "validate" | "permits" | "protocolOf">,
  config: ApexConfigShape,
  self: string
): Result.Result<CheckedPlan, InvalidPlan | PlanLimit> => {
  const { tasks } = plan
  if (tasks.length > config.maxTasks) return Result.fail(new PlanLimit({ limit: "tasks", max: config.maxTasks }))
  if (tasks.length === 0) return invalid(null, "it has no tasks")
  const index = new Map<string, number>()
  for (let i = 0; i < tasks.length; i++) {
    const id = tasks[i]!.id
    if (index.has(id)) return invalid(id, `the id is used by more than one task (tasks ${index.get(id)! + 1} and ${i + 1})`)
    index.set(id, i)
  }
  const deps: Array<Array<number>> = []
  const accesses: Array<Access> = []
  const messages: Array<AgentMessage> = []
  for (const task of tasks) {
    const after = task.after ?? []
    const mine: Array<number> = []
    for (const id of after) {
      const i = index.get(id)
      if (i === undefined) return invalid(task.id, `'after' names '${id}', which is not a task of this plan`)
      if (id === task.id) return invalid(task.id, "it waits for itself (a cycle: " + `${id} → ${id})`)
      if (!mine.includes(i)) mine.push(i)
    }
    deps.push(mine)
    if (task.agent === self) return invalid(task.id, `a plan cannot send messages to ${self} (plans do not nest)`)
    const protocol = system.protocolOf(task.agent)
    if (protocol === undefined) return invalid(task.id, `unknown agent '${task.agent}'`)
    const spec = protocol.get(task.message.type)
    if (spec === undefined) {
      return invalid(task.id, `${task.agent} has no message '${task.message.type}'; it accepts: ${protocol.types.join(", ")}`)
    }
    if (spec.planned !== undefined) return invalid(task.id, `${task.agent} '${task.message.type}' is not built yet (capability '${spec.planned}')`)
    const validated = system.validate(task.agent, task.message)
    if (Exit.isFailure(validated)) {
      return invalid(task.id, describeError(Cause.squash(validated.cause)))
    }
    const denied = system.permits(caller, task.agent, task.message.type)
    if (denied !== undefined) return invalid(task.id, denied.message)
    const retries = task.retries ?? 0
    if (retries > 0 && spec.access !== "read") {
      return invalid(
        task.id,
        `retries are allowed only for messages that are safe to repeat (read access); ${task.agent} '${task.message.type}' needs ${spec.access} access, so a retry could do it twice`
      )
    }
    accesses.push(spec.access)
    messages.push(validated.value)
  }
  // Kahn's algorithm, level by level.
  const waiting = deps.map((d) => d.length)
  const dependants: Array<Array<number>> = tasks.map(() => [])
  deps.forEach((d, i) => d.forEach((j) => dependants[j]!.push(i)))
  const level = new Array<number>(tasks.length).fill(0)
  const levels: Array<Array<string>> = []
  let frontier = tasks.flatMap((_, i) => (waiting[i] === 0 ? [i] : []))
  let ordered = 0
  while (frontier.length > 0) {
    levels.push(frontier.map((i) => tasks[i]!.id))
    ordered += frontier.length
    const next: Array<number> = []
    for (const i of frontier) {
      for (const d of dependants[i]!) {
        level[d] = Math.max(level[d]!, level[i]! + 1)
        if (--waiting[d]! === 0) next.push(d)
      }
    }
    frontier = next
  }
  if (ordered < tasks.length) {
    const remaining = new Set(tasks.flatMap((_, i) => (waiting[i]! > 0 ? [i] : [])))
    const ids = tasks.map((t) => t.id)
    const cycle = findCycle(remaining, deps, ids)
    return invalid(cycle.split(" → ")[0]!, `the tasks wait for each other in a cycle: ${cycle}`)
  }
  return Result.succeed({
    goal: plan.goal,
    concurrency: plan.concurrency ?? config.concurrency,
    levels,
    tasks: tasks.map((task, i): CheckedTask => ({
      id: task.id,
      agent: task.agent,
      message: messages[i]!,
      access: accesses[i]!,
      after: task.after ?? [],
      deps: deps[i]!,
      dependants: dependants[i]!,
      level: level[i]!,
      timeoutMs: task.timeoutMs ?? config.taskTimeoutMs,
      retries: task.retries ?? 0
    }))
  })
}

/** The dry run's view of a checked plan. */
export const dryRunOf = (plan: CheckedPlan, only?: ReadonlySet<string>) => {
  const tasks = only === undefined ? plan.tasks : plan.tasks.filter((t) => only.has(t.id))
  const levels = plan.levels.map((l) => (only === undefined ? l : l.filter((id) => only.has(id)))).filter((l) => l.length > 0)
  return {
    dryRun: true as const,
    taskCount: tasks.length,
    goal: plan.goal,
    concurrency: plan.concurrency,
    order: levels.flat(),
    levels,
    tasks: tasks.slice(0, MAX_DRY_RUN_TASKS).map((t) => ({
      id: t.id,
      agent: t.agent,
      type: t.message.type,
      access: t.access,
      after: t.after,
      level: t.level,
      timeoutMs: t.timeoutMs,
      retries: t.retries,
      message: t.message as Record<string, unknown>
    })),
    changesState: tasks.some((t) => t.access !== "read")
  }
}
