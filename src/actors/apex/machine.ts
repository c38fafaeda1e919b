/**
 * APEX's machine: a `serviceMachine` whose handlers answer at once, while each
 * confirmed plan runs in a fiber of its own, forked into the incarnation's
 * scope (a restart of APEX interrupts it; the record says so). A plan's fiber
 * starts every task whose dependencies have succeeded, up to the plan's
 * concurrency, each as an ask on the plan owner's behalf (`askAs`, via
 * "plan": checked and recorded as theirs) with the task's timeout; a failed
 * task's dependants are skipped; read tasks may be retried. Cancelling
 * interrupts the fiber: running asks are abandoned, pending tasks cancelled.
 *
 * Plans are kept in memory and written to the StateStore at most once per
 * `saveIntervalMs` while something changes (and when the incarnation ends); a
 * plan found running in the file was cut off by a daemon that died: it is
 * reported `interrupted`, nothing is re-run, and `resume` offers the rest.
 */
import { Cause, Clock, Deferred, Effect, Exit, Fiber, Option, Queue } from "effect"
import { StateStore } from "../../adapters/state/StateStore.ts"
import { AgentEnv } from "../../runtime/Agent.ts"
import { type Caller, describeCaller } from "../../runtime/Caller.ts"
import { describeError } from "../../runtime/Errors.ts"
import type { PlanState as PlanStateSchema, PlanTask, TaskState as TaskStateSchema } from "../shared/plan.ts"
import { serviceMachine } from "../shared/serve.ts"
import { PLAN_FAILED, PLAN_INTERRUPTED } from "./codes.ts"
import { ApexConfig } from "./config.ts"
import {
  Apex,
  type Counts,
  InvalidPlan,
  MAX_TASKS_SHOWN,
  NoSuchPlan,
  NotYourPlan,
  PlanLimit,
  type PlanSummary,
  PlanStateConflict,
  type PlanView,
  type TaskView
} from "./messages.ts"
import { decodeIndex, decodePlan, type PersistedPlan, slotKey, STATE_KEY } from "./persist.ts"
import { type Access, type CheckedPlan, type CheckedTask, checkPlan, dryRunOf } from "./validate.ts"

type TaskState = typeof TaskStateSchema.Type
type PlanState = typeof PlanStateSchema.Type

/** A reply larger than this (as JSON) is kept as its size only. */
const MAX_REPLY_CHARS = 4096

interface TaskRun {
  spec: CheckedTask
  state: TaskState
  attempts: number
  startedAt: number | undefined
  endedAt: number | undefined
  hasReply: boolean
  reply: unknown
  error: { readonly tag: string; readonly message: string } | undefined
}

interface PlanRun {
  readonly id: string
  readonly goal: string
  /** who ran it: who may see and cancel it */
  readonly owner: Caller
  /** whose rights the tasks run with: the owner, or whoever resumed it */
  runAs: Caller
  readonly createdAt: number
  endedAt: number | undefined
  state: PlanState
  concurrency: number
  reason: string | undefined
  announced: boolean
  tasks: Array<TaskRun>
  counts: { -readonly [K in keyof Counts]: number }
  fiber: Fiber.Fiber<void> | undefined
  cancelling: boolean
  /** its document in the StateStore: apex-plan-SLOT */
  slot: number
  /** bumped by every change; the saver writes the plan when it differs from savedRevision */
  revision: number
  savedRevision: number
}

const emptyCounts = (): PlanRun["counts"] => ({
  pending: 0,
  running: 0,
  succeeded: 0,
  failed: 0,
  "timed-out": 0,
  cancelled: 0,
  skipped: 0
})

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString())

const ownerText = (caller: Caller) => (caller.via === "daemon" ? "the daemon" : `uid ${caller.uid}`)

/** A reply as kept: as it came, unless it is too large to keep. */
const keptReply = (value: unknown): unknown => {
  const text = JSON.stringify(value) ?? "null"
  return text.length <= MAX_REPLY_CHARS ? value : { truncated: true, chars: text.length }
}

/** What a failed ask is, for the task's record. */
const errorOf = (cause: Cause.Cause<unknown>): { readonly tag: string; readonly message: string } => {
  const error = Cause.squash(cause)
  if (typeof error === "object" && error !== null && "_tag" in error) {
    const tagged = error as { readonly _tag: string; readonly rejection?: { readonly _tag: string }; readonly reason?: string }
    // A typed rejection of the task's agent: its own tag and reason.
    if (tagged._tag === "Rejected" && tagged.rejection !== undefined) {
      return { tag: tagged.rejection._tag, message: tagged.reason ?? describeError(error) }
    }
    return { tag: tagged._tag, message: describeError(error) }
  }
  return { tag: "Defect", message: describeError(error) }
}

/** Failures a retry cannot cure: the message or the caller's rights are wrong. */
const PERMANENT = new Set(["InvalidMessage", "AccessDenied", "UnknownAgent", "AuditUnavailable", "ProtocolViolation"])

/** How long after start an interrupted plan found in the record is announced. */
export const ANNOUNCE_AFTER_MS = 5000

const TERMINAL: ReadonlySet<PlanState> = new Set(["succeeded", "failed", "cancelled", "interrupted"])

/** The plan as APEX validates it again (resume): its tasks' specs. */
const specsOf = (plan: PlanRun): Array<PlanTask> =>
  plan.tasks.map((t) => ({
    id: t.spec.id,
    agent: t.spec.agent,
    message: t.spec.message as PlanTask["message"],
    ...(t.spec.after.length === 0 ? {} : { after: t.spec.after }),
    timeoutMs: t.spec.timeoutMs,
    ...(t.spec.retries === 0 ? {} : { retries: t.spec.retries })
  }))

export const makeMachine = Effect.gen(function*() {
  const env = yield* AgentEnv
  const store = yield* StateStore
  const config = yield* ApexConfig
  const clock = yield* Clock.Clock
  const scope = yield* Effect.scope
  const now = () => clock.currentTimeMillisUnsafe()
  const log = Effect.annotateLogs({ agent: env.self })

  /** Every plan, oldest first (a Map keeps insertion order). */
  const plans = new Map<string, PlanRun>()
  let persist = true
  let sequence = 0

  // ---- the record ---------------------------------------------------------------

  const setState = (plan: PlanRun, task: TaskRun, state: TaskState) => {
    plan.counts[task.state]--
    plan.counts[state]++
    task.state = state
  }

  const toPersisted = (plan: PlanRun): PersistedPlan => ({
    id: plan.id,
    goal: plan.goal,
    owner: plan.owner,
    createdAt: plan.createdAt,
    endedAt: plan.endedAt ?? null,
    state: plan.state,
    concurrency: plan.concurrency,
    reason: plan.reason ?? null,
    announced: plan.announced,
    tasks: plan.tasks.map((t) => ({
      id: t.spec.id,
      agent: t.spec.agent,
      message: t.spec.message,
      access: t.spec.access,
      after: t.spec.after,
      timeoutMs: t.spec.timeoutMs,
      retries: t.spec.retries,
      state: t.state,
      attempts: t.attempts,
      startedAt: t.startedAt ?? null,
      endedAt: t.endedAt ?? null,
      ...(t.hasReply ? { reply: t.reply } : {}),
      ...(t.error === undefined ? {} : { error: t.error })
    }))
  })

  /** Bumped when plans come or go: the index is written again. */
  let indexRevision = 0
  let savedIndexRevision = 0

  const save = Effect.suspend(() => {
    if (!persist) return Effect.void
    const changed = [...plans.values()].filter((plan) => plan.revision !== plan.savedRevision)
    const index = indexRevision
    // The plans first, then the index that names them: a reader never finds the index ahead of a plan.
    return Effect.andThen(
      Effect.forEach(changed, (plan) => {
        const revision = plan.revision
        return Effect.map(store.write(slotKey(plan.slot), toPersisted(plan)), () => {
          plan.savedRevision = revision
        })
      }, { discard: true }),
      index === savedIndexRevision ? Effect.void : Effect.map(
        store.write(STATE_KEY, { plans: [...plans.values()].map((plan) => ({ id: plan.id, slot: plan.slot })) }),
        () => {
          savedIndexRevision = index
        }
      )
    )
  }).pipe(
    Effect.catch((error) => Effect.logWarning(`plans not saved: ${error.message}`)),
    log
  )

  /** Asks for a save of `plan` (or of the index): the saver writes at once if it has been idle, else after its interval. */
  const wake = yield* Queue.sliding<void>(1)
  const markDirty = (plan?: PlanRun) => {
    if (plan === undefined) indexRevision++
    else plan.revision++
    Queue.offerUnsafe(wake, undefined)
  }

  const freeSlot = () => {
    const used = new Set([...plans.values()].map((plan) => plan.slot))
    let slot = 0
    while (used.has(slot)) slot++
    return slot
  }

  // ---- loading what a previous incarnation left -----------------------------------

  const fromPersisted = (p: PersistedPlan, slot: number): PlanRun => {
    const index = new Map(p.tasks.map((t, i) => [t.id, i]))
    const dependants: Array<Array<number>> = p.tasks.map(() => [])
    p.tasks.forEach((t, i) => t.after.forEach((a) => dependants[index.get(a) ?? i]?.push(i)))
    const counts = emptyCounts()
    const tasks = p.tasks.map((t, i): TaskRun => {
      counts[t.state]++
      return {
        spec: {
          id: t.id,
          agent: t.agent,
          message: t.message,
          access: t.access as Access,
          after: t.after,
          deps: t.after.flatMap((a) => (index.has(a) ? [index.get(a)!] : [])),
          dependants: dependants[i]!,
          level: 0,
          timeoutMs: t.timeoutMs,
          retries: t.retries
        },
        state: t.state,
        attempts: t.attempts,
        startedAt: t.startedAt ?? undefined,
        endedAt: t.endedAt ?? undefined,
        hasReply: "reply" in t,
        reply: t.reply,
        error: t.error
      }
    })
    return {
      id: p.id,
      goal: p.goal,
      owner: p.owner,
      runAs: p.owner,
      createdAt: p.createdAt,
      endedAt: p.endedAt ?? undefined,
      state: p.state,
      concurrency: p.concurrency,
      reason: p.reason ?? undefined,
      announced: p.announced,
      tasks,
      counts,
      fiber: undefined,
      cancelling: false,
      slot,
      revision: 0,
      savedRevision: 0
    }
  }

  /** A plan the file says was running: the daemon (or APEX) stopped under it. Nothing is re-run. */
  const interrupted = (plan: PlanRun, at: number, why: string) => {
    for (const task of plan.tasks) {
      if (task.state === "running") {
        setState(plan, task, "cancelled")
        task.endedAt = at
        task.error = { tag: "Interrupted", message: `${why} while this task ran: whether ${task.spec.agent} finished '${task.spec.message.type}' is not known` }
      }
    }
    plan.state = "interrupted"
    plan.endedAt = at
    plan.reason = `${why} while the plan ran; ${plan.counts.succeeded} of ${plan.tasks.length} tasks had succeeded. ` +
      "Nothing was re-run: 'resume' runs the tasks that have not succeeded, after showing them"
  }

  const readOr = <A>(key: string, what: string, decode: (u: unknown) => Exit.Exit<A, unknown>) =>
    store.read(key).pipe(
      Effect.flatMap((document): Effect.Effect<A | undefined> => {
        if (Option.isNone(document)) return Effect.succeed(undefined)
        const decoded = decode(document.value)
        if (Exit.isSuccess(decoded)) return Effect.succeed(decoded.value)
        return Effect.as(Effect.logWarning(`APEX state '${key}' (${what}) has an unexpected shape; it is left out`), undefined)
      }),
      Effect.catchTag("StateVersionTooNew", (error) =>
        Effect.sync(() => {
          persist = false
          return undefined
        }).pipe(Effect.tap(Effect.logError(`${error.message}; APEX keeps its plans in memory only so as not to overwrite it`)))),
      Effect.catch((error) => Effect.as(Effect.logWarning(`${error.message}; ${what} is left out`), undefined)),
      log
    )
  const index = yield* readOr(STATE_KEY, "the index of plans", decodeIndex)
  const startedAt = now()
  for (const entry of index?.plans ?? []) {
    const p = yield* readOr(slotKey(entry.slot), `plan '${entry.id}'`, decodePlan)
    if (p === undefined || p.id !== entry.id) continue
    const plan = fromPersisted(p, entry.slot)
    if (plan.state === "running" || plan.state === "validating") {
      interrupted(plan, startedAt, "the daemon stopped")
      markDirty(plan)
    }
    plans.set(plan.id, plan)
  }
  // Announced once, a little after start, when the agents that watch alerts (NEXUS, STREAM) are up.
  const unannounced = [...plans.values()].filter((plan) => plan.state === "interrupted" && !plan.announced)
  const announce = Effect.forEach(unannounced, (plan) =>
    Effect.suspend(() => {
      plan.announced = true
      markDirty(plan)
      return env.alert({
        severity: "warning",
        subject: `plan ${plan.id}`,
        text: `plan '${plan.id}' (${plan.goal}) was interrupted: ${plan.reason}`,
        code: PLAN_INTERRUPTED
      })
    }))

  // Written on the way out too, so a restart of APEX finds what its plans had done.
  yield* Effect.addFinalizer(() =>
    Effect.suspend(() => {
      const at = now()
      for (const plan of plans.values()) {
        if (plan.state !== "running") continue
        interrupted(plan, at, "APEX stopped")
        plan.revision++
      }
      return save
    }))
  yield* Effect.forkIn(
    Effect.forever(Queue.take(wake).pipe(Effect.andThen(save), Effect.andThen(Effect.sleep(config.saveIntervalMs)))),
    scope
  )

  if (unannounced.length > 0) yield* Effect.forkIn(Effect.andThen(Effect.sleep(ANNOUNCE_AFTER_MS), announce), scope)

  // ---- running a plan ------------------------------------------------------------

  const ask = (caller: Caller, task: CheckedTask) =>
    caller.via === "daemon"
      ? env.system.ask(task.agent, task.message, { timeoutMs: task.timeoutMs })
      : env.system.askAs({ ...caller, via: "plan" }, task.agent, task.message, { timeoutMs: task.timeoutMs })

  const runTask = (plan: PlanRun, task: TaskRun) =>
    Effect.gen(function*() {
      task.startedAt = now()
      task.endedAt = undefined
      task.error = undefined
      while (true) {
        task.attempts++
        const exit = yield* Effect.exit(ask(plan.runAs, task.spec))
        if (Exit.isSuccess(exit)) {
          task.hasReply = true
          task.reply = keptReply(exit.value)
          setState(plan, task, "succeeded")
          break
        }
        const error = errorOf(exit.cause)
        // Only a read is safe to repeat (validation refused retries on anything else).
        if (task.spec.access === "read" && task.attempts <= task.spec.retries && !PERMANENT.has(error.tag)) {
          yield* Effect.sleep(Math.min(30_000, 1000 * 2 ** (task.attempts - 1)))
          continue
        }
        task.error = error
        setState(plan, task, error.tag === "AskTimeout" ? "timed-out" : "failed")
        break
      }
      task.endedAt = now()
    })

  /** Marks every pending task that (transitively) waits for `from` as skipped; returns how many. */
  const skipDependants = (plan: PlanRun, from: TaskRun): number => {
    let skipped = 0
    const stack = [...from.spec.dependants]
    while (stack.length > 0) {
      const task = plan.tasks[stack.pop()!]!
      if (task.state !== "pending") continue
      setState(plan, task, "skipped")
      task.error = { tag: "Skipped", message: `'${from.spec.id}' ${from.state === "timed-out" ? "timed out" : "failed"}, and this task waits for it` }
      skipped++
      stack.push(...task.spec.dependants)
    }
    return skipped
  }

  const execute = (plan: PlanRun) =>
    Effect.gen(function*() {
      const total = plan.tasks.length
      // What each pending task still waits for: dependencies that have not succeeded.
      const waiting = plan.tasks.map((t) => t.spec.deps.filter((d) => plan.tasks[d]!.state !== "succeeded").length)
      // Workers take ready tasks and settle their dependants themselves: no hop through another fiber per task.
      const ready = yield* Queue.unbounded<number>()
      const allDone = yield* Deferred.make<void>()
      let remaining = plan.counts.pending
      plan.tasks.forEach((t, i) => {
        if (t.state === "pending" && waiting[i] === 0) Queue.offerUnsafe(ready, i)
      })
      const settled = (task: TaskRun) =>
        Effect.suspend(() => {
          remaining--
          if (task.state === "succeeded") {
            for (const d of task.spec.dependants) {
              if (--waiting[d]! === 0 && plan.tasks[d]!.state === "pending") Queue.offerUnsafe(ready, d)
            }
          } else {
            remaining -= skipDependants(plan, task)
          }
          markDirty(plan)
          return Effect.andThen(
            env.progress({ job: plan.id, done: total - remaining, total, unit: "tasks" }),
            Effect.sync(() => {
              if (remaining === 0) Deferred.doneUnsafe(allDone, Exit.void)
            })
          )
        })
      const worker = Effect.forever(
        Effect.flatMap(Queue.take(ready), (i) => {
          const task = plan.tasks[i]!
          setState(plan, task, "running")
          return Effect.andThen(runTask(plan, task), settled(task))
        })
      )
      if (remaining > 0) {
        const workers = yield* Effect.forEach(
          Array.from({ length: Math.min(plan.concurrency, remaining) }),
          () => Effect.forkChild(worker)
        )
        yield* Deferred.await(allDone)
        yield* Fiber.interruptAll(workers)
      }
      const failed = plan.tasks.find((t) => t.state === "failed" || t.state === "timed-out")
      plan.endedAt = now()
      if (failed === undefined) {
        plan.state = plan.counts.succeeded === total ? "succeeded" : "failed"
        plan.reason = plan.state === "succeeded" ? undefined : "some tasks did not run"
      } else {
        plan.state = "failed"
        plan.reason = `task '${failed.spec.id}' (${failed.spec.agent} '${failed.spec.message.type}') ${failed.state}: ${failed.error?.message ?? "no reason given"}` +
          (plan.counts.skipped > 0 ? `; ${plan.counts.skipped} dependent tasks skipped` : "")
        yield* env.alert({ severity: "warning", subject: `plan ${plan.id}`, text: `plan '${plan.id}' (${plan.goal}) failed: ${plan.reason}`, code: PLAN_FAILED })
      }
      plan.fiber = undefined
      prune()
      markDirty(plan)
      // The end is written at once, not at the saver's next turn.
      yield* save
    })

  /** A plan's fiber was interrupted (or never got to run): cancelled on request, else cut off. Idempotent. */
  const onInterrupted = (plan: PlanRun) =>
    Effect.sync(() => {
      if (plan.state !== "running") return
      const at = now()
      plan.fiber = undefined
      if (!plan.cancelling) {
        interrupted(plan, at, "APEX stopped")
        markDirty(plan)
        return
      }
      for (const task of plan.tasks) {
        if (task.state === "running") {
          setState(plan, task, "cancelled")
          task.endedAt = at
          task.error = { tag: "Cancelled", message: `the plan was cancelled while this task ran; its ask to ${task.spec.agent} was abandoned` }
        } else if (task.state === "pending") {
          setState(plan, task, "cancelled")
          task.error = { tag: "Cancelled", message: "the plan was cancelled before this task started" }
        }
      }
      plan.state = "cancelled"
      plan.endedAt = at
      plan.reason = "cancelled"
      prune()
      markDirty(plan)
    })

  const start = (plan: PlanRun) =>
    Effect.gen(function*() {
      plan.state = "running"
      plan.endedAt = undefined
      plan.reason = undefined
      plan.cancelling = false
      plan.fiber = yield* Effect.forkIn(execute(plan).pipe(Effect.onInterrupt(() => onInterrupted(plan)), log), scope)
      markDirty(plan)
      markDirty()
    })

  const runningCount = () => {
    let n = 0
    for (const plan of plans.values()) if (plan.state === "running") n++
    return n
  }

  /** Keeps at most `plansKept` finished plans: the oldest go first. */
  const prune = () => {
    let finished = 0
    for (const plan of plans.values()) if (TERMINAL.has(plan.state)) finished++
    for (const plan of plans.values()) {
      if (finished <= config.plansKept) break
      if (!TERMINAL.has(plan.state)) continue
      plans.delete(plan.id)
      markDirty()
      finished--
    }
  }

  const newId = () => {
    const stamp = new Date(now()).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15)
    let id: string
    do id = `${stamp}-${++sequence}`
    while (plans.has(id))
    return id
  }

  const newPlan = (checked: CheckedPlan, owner: Caller, id: string | undefined): PlanRun => {
    const counts = emptyCounts()
    counts.pending = checked.tasks.length
    return {
      id: id ?? newId(),
      goal: checked.goal,
      owner,
      runAs: owner,
      createdAt: now(),
      endedAt: undefined,
      state: "validating",
      concurrency: checked.concurrency,
      reason: undefined,
      announced: false,
      tasks: checked.tasks.map((spec) => ({
        spec,
        state: "pending",
        attempts: 0,
        startedAt: undefined,
        endedAt: undefined,
        hasReply: false,
        reply: undefined,
        error: undefined
      })),
      counts,
      fiber: undefined,
      cancelling: false,
      slot: freeSlot(),
      revision: 0,
      savedRevision: 0
    }
  }

  // ---- who sees what ----------------------------------------------------------------

  /** An admin (the policy lets them send APEX's admin message) sees and cancels every plan. */
  const isAdmin = (caller: Caller) => env.system.permits(caller, env.self, "forget") === undefined
  const mayTouch = (plan: PlanRun, caller: Caller) =>
    (caller.via !== "daemon" && plan.owner.via !== "daemon" && caller.uid === plan.owner.uid) || isAdmin(caller)

  const find = (id: string, caller: Caller): Effect.Effect<PlanRun, NoSuchPlan | NotYourPlan> => {
    const plan = plans.get(id)
    if (plan === undefined) return Effect.fail(new NoSuchPlan({ id }))
    if (!mayTouch(plan, caller)) return Effect.fail(new NotYourPlan({ id, caller: describeCaller(caller) }))
    return Effect.succeed(plan)
  }

  const summaryOf = (plan: PlanRun): PlanSummary => ({
    id: plan.id,
    goal: plan.goal,
    state: plan.state,
    owner: ownerText(plan.owner),
    createdAt: new Date(plan.createdAt).toISOString(),
    endedAt: iso(plan.endedAt),
    tasks: plan.tasks.length,
    counts: { ...plan.counts }
  })

  const taskView = (task: TaskRun): TaskView => ({
    id: task.spec.id,
    agent: task.spec.agent,
    type: task.spec.message.type,
    access: task.spec.access,
    after: task.spec.after,
    state: task.state,
    attempts: task.attempts,
    startedAt: iso(task.startedAt),
    endedAt: iso(task.endedAt),
    durationMs: task.startedAt === undefined || task.endedAt === undefined ? null : Math.max(0, task.endedAt - task.startedAt),
    ...(task.hasReply ? { reply: task.reply } : {}),
    ...(task.error === undefined ? {} : { error: task.error })
  })

  const viewOf = (plan: PlanRun, offset: number, limit: number): PlanView => ({
    ...summaryOf(plan),
    concurrency: plan.concurrency,
    reason: plan.reason ?? null,
    offset,
    taskPage: plan.tasks.slice(offset, offset + limit).map(taskView)
  })

  const checked = (tasks: ReadonlyArray<PlanTask>, goal: string, concurrency: number | undefined, caller: Caller) =>
    Effect.fromResult(checkPlan({ goal, tasks, concurrency }, caller, env.system, config, env.self))

  const roomForAnother = Effect.suspend(() =>
    runningCount() >= config.maxRunningPlans ? Effect.fail(new PlanLimit({ limit: "running-plans", max: config.maxRunningPlans })) : Effect.void
  )

  return yield* serviceMachine(Apex, {
    handlers: {
      run: ({ type: _, confirm, goal, tasks, concurrency, id }, { caller }) =>
        Effect.gen(function*() {
          const plan = yield* checked(tasks, goal, concurrency, caller)
          if (id !== undefined && plans.has(id)) {
            return yield* Effect.fail(new InvalidPlan({ task: null, reason: `a plan named '${id}' is kept already; choose another id, or forget that plan` }))
          }
          if (confirm !== true) return dryRunOf(plan)
          yield* roomForAnother
          const run = newPlan(plan, caller, id)
          plans.set(run.id, run)
          yield* start(run)
          prune()
          // On disk before the answer: a daemon that dies now still knows the plan was started.
          yield* save
          return { id: run.id, state: run.state }
        }),
      plans: (_, { caller }) =>
        Effect.sync(() => ({
          plans: [...plans.values()].filter((plan) => mayTouch(plan, caller)).map(summaryOf)
        })),
      plan: ({ id, offset, limit }, { caller }) => Effect.map(find(id, caller), (plan) => viewOf(plan, offset ?? 0, limit ?? MAX_TASKS_SHOWN)),
      cancel: ({ id }, { caller }) =>
        Effect.gen(function*() {
          const plan = yield* find(id, caller)
          if (plan.state !== "running" || plan.fiber === undefined) {
            return yield* Effect.fail(new PlanStateConflict({ id, state: plan.state, wanted: "cancel" }))
          }
          const before = plan.counts.cancelled
          plan.cancelling = true
          yield* Fiber.interrupt(plan.fiber)
          // A fiber interrupted before it first ran never saw its interruption.
          yield* onInterrupted(plan)
          yield* save
          return { id, state: plan.state, cancelled: plan.counts.cancelled - before }
        }),
      resume: ({ id, confirm }, { caller }) =>
        Effect.gen(function*() {
          const plan = yield* find(id, caller)
          if (plan.state === "running" || plan.state === "succeeded" || plan.state === "validating") {
            return yield* Effect.fail(new PlanStateConflict({ id, state: plan.state, wanted: "resume" }))
          }
          // Checked again, against the rights of whoever resumes it: it runs on their behalf.
          const again = yield* checked(specsOf(plan), plan.goal, plan.concurrency, caller)
          const rest = new Set(plan.tasks.filter((t) => t.state !== "succeeded").map((t) => t.spec.id))
          if (confirm !== true) return dryRunOf(again, rest)
          yield* roomForAnother
          plan.tasks = again.tasks.map((spec, i) => {
            const old = plan.tasks[i]!
            if (old.state === "succeeded") return { ...old, spec }
            setState(plan, old, "pending")
            return { spec, state: "pending", attempts: 0, startedAt: undefined, endedAt: undefined, hasReply: false, reply: undefined, error: undefined }
          })
          plan.runAs = caller
          plan.announced = false
          yield* start(plan)
          yield* save
          return { id: plan.id, state: plan.state }
        }),
      forget: ({ id }) =>
        Effect.gen(function*() {
          const plan = plans.get(id)
          if (plan === undefined) return yield* Effect.fail(new NoSuchPlan({ id }))
          if (!TERMINAL.has(plan.state)) return yield* Effect.fail(new PlanStateConflict({ id, state: plan.state, wanted: "forget" }))
          plans.delete(id)
          markDirty()
          return { forgotten: id }
        })
    }
  })
})

