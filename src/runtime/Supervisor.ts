/**
 * OTP-style supervision, built because neither XState nor Effect 4 has it.
 *
 * A supervisor is a fiber that starts its children in order (each must report
 * ready before the next starts), watches their exits, and restarts them per
 * strategy (one_for_one, one_for_all, rest_for_one) and restart type, as OTP
 * does: a permanent child is restarted whatever ended it; a transient one only
 * when it failed; a temporary one never — not even when a sibling's failure
 * stops it under one_for_all or rest_for_one. A child that is not restarted
 * triggers no restart of its siblings. More than MaxR restarts within MaxT
 * makes it stop every child in reverse order and fail with IntensityExceeded,
 * which its own parent sees as a failing child: escalation. Consecutive
 * restarts of a child back off exponentially with jitter; the count resets
 * once the child has run for the stable period (`backoff.resetAfterMs`).
 * Because backoff spreads a crash loop out until no window holds MaxR
 * restarts, a second rule bounds the loop itself: a child restarted more than
 * `maxRestartsInARow` times in a row without ever running the stable period
 * makes its supervisor give up too, however long that took.
 *
 * Stopping a child asks it to stop and interrupts it when its shutdown
 * timeout passes. Children run detached from the supervisor's fiber: one that
 * ignores its interruption is given up on after the interrupt grace period,
 * so it can never hold its supervisor, or a shutdown, past that bound.
 */
import { Clock, Deferred, Effect, Exit, Fiber, Queue, Random } from "effect"
import { IntensityExceeded } from "./Errors.ts"
import type { Backoff, Intensity, RestartType, Strategy } from "./Status.ts"

export type { Backoff, Intensity, RestartType, Strategy } from "./Status.ts"

/** Why a child stopped for good, as the hooks hear it. */
export type TerminationReason = "exited" | "failed" | "shutdown" | "gave-up"

export interface ChildHooks {
  readonly onStarting?: () => Effect.Effect<void>
  readonly onExit?: (exit: Exit.Exit<void, unknown>) => Effect.Effect<void>
  readonly onRestarting?: (info: { readonly restarts: number; readonly delayMs: number }) => Effect.Effect<void>
  readonly onTerminated?: (reason: TerminationReason) => Effect.Effect<void>
  /** The supervisor stopped the child to restart it along with a failed sibling. */
  readonly onStoppedForRestart?: () => Effect.Effect<void>
  /** The child was interrupted: it did not stop within its shutdown timeout, or its supervisor was interrupted. */
  readonly onKilled?: () => Effect.Effect<void>
  /** The child did not end within its interrupt grace period after being interrupted: it is given up on. */
  readonly onAbandoned?: () => Effect.Effect<void>
}

export interface ChildRun<R> {
  /** Runs the child; it calls `ready` once started. Success is a normal exit. */
  readonly run: (ready: () => void) => Effect.Effect<void, unknown, R>
  /** Asks this run to stop, handling queued work until `drainUntil` (epoch ms). */
  readonly requestStop: (drainUntil: number) => void
}

export interface ChildSpec<R = never> {
  readonly id: string
  readonly restart: RestartType
  readonly shutdownTimeoutMs: number
  /**
   * How long the child may take to end once interrupted before it is given up on; default
   * DEFAULT_INTERRUPT_GRACE_MS. A supervisor child needs its own children's grace and a little more.
   */
  readonly interruptGraceMs?: number
  readonly makeRun: () => ChildRun<R>
  readonly hooks?: ChildHooks
}

/** How long an interrupted child may take to end (its finalizers) before its supervisor stops waiting for it. */
export const DEFAULT_INTERRUPT_GRACE_MS = 1_000

/** The most restarts of one child in a row, each after an incarnation shorter than the stable period. */
export const restartsInARow = (intensity: Intensity): number => intensity.maxRestartsInARow ?? intensity.maxRestarts

export interface SupervisorSpec<R = never> {
  /** Told the control queue of each run, so operator requests can reach the running supervisor. */
  readonly onControl?: (control: Queue.Queue<SupervisorEvent>) => void
  readonly name: string
  readonly strategy: Strategy
  readonly intensity: Intensity
  readonly backoff: Backoff
  readonly children: ReadonlyArray<ChildSpec<R>>
  readonly onEscalate?: (error: IntensityExceeded) => Effect.Effect<void>
}

export type SupervisorEvent =
  | { readonly _tag: "Exit"; readonly index: number; readonly generation: number; readonly exit: Exit.Exit<void, unknown> }
  | { readonly _tag: "RestartDue"; readonly indices: ReadonlyArray<number>; readonly token: number }
  | { readonly _tag: "Stop"; readonly drainUntil: number }
  /**
   * An operator's request for one child: restart it now (the running
   * incarnation is interrupted, not waited for), stop it (asked to stop, it
   * stays stopped however its restart type reads), or start it again. Not a
   * failure: it counts neither towards the restart intensity nor towards the
   * restarts in a row. `reply` gets undefined when done, else why not.
   */
  | { readonly _tag: "Operator"; readonly op: OperatorOp; readonly id: string; readonly reply: (refusal: string | undefined) => void }

export type OperatorOp = "restart" | "stop" | "start"

interface ChildState<R> {
  readonly spec: ChildSpec<R>
  /** Bumped whenever the supervisor stops the child itself, so that exit is not mistaken for a failure. */
  generation: number
  running: { readonly fiber: Fiber.Fiber<void, unknown>; readonly run: ChildRun<R>; readonly startedAt: number } | undefined
  /** The child is gone for good (temporary, transient normal exit). */
  removed: boolean
  /** An operator stopped it: it stays down until an operator starts it. */
  held: boolean
  consecutive: number
  restarts: number
  pendingRestart: number | undefined
}

const isNormal = (exit: Exit.Exit<void, unknown>) => Exit.isSuccess(exit)

/** A control handle for one run of a supervisor, for its parent. */
export const supervisorChild = <R>(
  spec: SupervisorSpec<R>,
  options: {
    readonly restart: RestartType
    readonly shutdownTimeoutMs: number
    readonly interruptGraceMs?: number
    readonly hooks?: ChildHooks
  }
): ChildSpec<R> => ({
  id: spec.name,
  restart: options.restart,
  shutdownTimeoutMs: options.shutdownTimeoutMs,
  ...(options.interruptGraceMs === undefined ? {} : { interruptGraceMs: options.interruptGraceMs }),
  ...(options.hooks === undefined ? {} : { hooks: options.hooks }),
  makeRun: () => {
    const control = Effect.runSync(Queue.unbounded<SupervisorEvent>())
    return {
      run: (ready) => runSupervisor(spec, control, ready),
      requestStop: (drainUntil) => {
        Queue.offerUnsafe(control, { _tag: "Stop", drainUntil })
      }
    }
  }
})

/** The largest time a stop of this child may take: drain window plus shutdown timeout. */
const stopBudget = (drainUntil: number, now: number, shutdownTimeoutMs: number) =>
  Math.max(0, drainUntil - now) + shutdownTimeoutMs

export const runSupervisor = <R>(
  spec: SupervisorSpec<R>,
  control: Queue.Queue<SupervisorEvent>,
  ready: () => void
): Effect.Effect<void, IntensityExceeded, R> =>
  Effect.scoped(Effect.gen(function*() {
    const children: Array<ChildState<R>> = spec.children.map((childSpec) => ({
      spec: childSpec,
      generation: 0,
      running: undefined,
      removed: false,
      held: false,
      consecutive: 0,
      restarts: 0,
      pendingRestart: undefined
    }))
    const clock = yield* Clock.Clock
    let restartTimes: Array<number> = []
    let restartToken = 0

    const hook = <K extends keyof ChildHooks>(child: ChildState<R>, key: K) => child.spec.hooks?.[key]

    /** Forks the child and waits until it reports ready or exits, whichever first. */
    const startChild = (index: number) =>
      Effect.gen(function*() {
        const child = children[index]!
        child.pendingRestart = undefined
        yield* hook(child, "onStarting")?.() ?? Effect.void
        const run = child.spec.makeRun()
        const generation = child.generation
        const started = Deferred.makeUnsafe<void>()
        const markStarted = () => {
          Deferred.doneUnsafe(started, Effect.void)
        }
        // Detached: a child that ignores its interruption must not keep its supervisor from ending.
        const fiber = yield* Effect.forkDetach(run.run(markStarted))
        fiber.addObserver((exit) => {
          Queue.offerUnsafe(control, { _tag: "Exit", index, generation, exit })
          markStarted()
        })
        child.running = { fiber, run, startedAt: clock.currentTimeMillisUnsafe() }
        yield* Deferred.await(started)
      })

    /**
     * Interrupts these children at once and waits for them together, at most the longest of
     * their grace periods. One still running then is given up on (`onAbandoned`): its fiber may
     * linger, but nothing waits for it. `running` is cleared only here or once a child ended,
     * so whoever interrupts the supervisor meanwhile still finds every child to interrupt.
     */
    const interruptChildren = (indices: ReadonlyArray<number>) =>
      Effect.gen(function*() {
        const targets = indices.flatMap((i) => {
          const running = children[i]!.running
          return running === undefined ? [] : [{ child: children[i]!, fiber: running.fiber }]
        })
        if (targets.length === 0) return
        for (const { child, fiber } of targets) {
          child.generation++ // its exit is ours to handle, not a failure
          fiber.interruptUnsafe()
        }
        const grace = Math.max(...targets.map(({ child }) => child.spec.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS))
        yield* Effect.timeoutOption(Fiber.awaitAll(targets.map(({ fiber }) => fiber)), grace)
        for (const { child, fiber } of targets) {
          child.running = undefined
          yield* hook(child, "onKilled")?.() ?? Effect.void
          if (fiber.pollUnsafe() === undefined) yield* hook(child, "onAbandoned")?.() ?? Effect.void
        }
      })

    /** Asks a child to stop, interrupting it once its shutdown budget is spent. */
    const stopChild = (index: number, drainUntil: number, reason: TerminationReason | "restart") =>
      Effect.gen(function*() {
        const child = children[index]!
        const running = child.running
        child.pendingRestart = undefined
        if (running !== undefined) {
          child.generation++
          running.run.requestStop(drainUntil)
          const now = yield* Clock.currentTimeMillis
          const exit = yield* Fiber.await(running.fiber).pipe(
            Effect.timeoutOption(stopBudget(drainUntil, now, child.spec.shutdownTimeoutMs))
          )
          if (exit._tag === "None") yield* interruptChildren([index])
          else child.running = undefined
        }
        if (reason !== "restart") yield* hook(child, "onTerminated")?.(reason) ?? Effect.void
        else if (running !== undefined) yield* hook(child, "onStoppedForRestart")?.() ?? Effect.void
      })

    const stopAll = (drainUntil: number, reason: TerminationReason) =>
      Effect.gen(function*() {
        for (let i = children.length - 1; i >= 0; i--) {
          const child = children[i]!
          if (child.removed) continue
          yield* stopChild(i, drainUntil, reason)
        }
      })

    const backoffDelay = (child: ChildState<R>) =>
      Effect.gen(function*() {
        if (child.consecutive === 0) return 0
        const base = Math.min(spec.backoff.maxMs, spec.backoff.initialMs * 2 ** (child.consecutive - 1))
        const spread = spec.backoff.jitter * base
        const r = yield* Random.next
        return Math.max(0, Math.round(base - spread + 2 * spread * r))
      })

    /** Starts the given children (spec order) that are not running, after `delayMs`. */
    const scheduleRestart = (indices: ReadonlyArray<number>, delayMs: number) =>
      Effect.gen(function*() {
        const token = ++restartToken
        for (const i of indices) children[i]!.pendingRestart = token
        if (delayMs === 0) return yield* startPending(indices, token)
        yield* Effect.forkChild(
          Effect.andThen(
            Effect.sleep(delayMs),
            Effect.sync(() => Queue.offerUnsafe(control, { _tag: "RestartDue", indices, token }))
          )
        )
      })

    const startPending = (indices: ReadonlyArray<number>, token: number) =>
      Effect.gen(function*() {
        for (const i of indices) {
          const child = children[i]!
          if (child.pendingRestart !== token || child.running !== undefined || child.removed) continue
          yield* startChild(i)
        }
      })

    /** `inARow`: the child's restarts in a row when that rule, not the window's, gave up. */
    const giveUp = (lastChild: string, inARow?: number) =>
      Effect.gen(function*() {
        const error = new IntensityExceeded({
          supervisor: spec.name,
          maxRestarts: spec.intensity.maxRestarts,
          withinMs: spec.intensity.withinMs,
          lastChild,
          ...(inARow === undefined ? {} : { inARow: { restarts: inARow, stableAfterMs: spec.backoff.resetAfterMs } })
        })
        yield* stopAll(yield* Clock.currentTimeMillis, "gave-up")
        yield* spec.onEscalate?.(error) ?? Effect.void
        return yield* Effect.fail(error)
      })

    const onChildExit = (index: number, exit: Exit.Exit<void, unknown>) =>
      Effect.gen(function*() {
        const child = children[index]!
        const startedAt = child.running?.startedAt ?? 0
        child.running = undefined
        yield* hook(child, "onExit")?.(exit) ?? Effect.void
        const failed = !isNormal(exit)
        const shouldRestart = child.spec.restart === "permanent" ||
          (child.spec.restart === "transient" && failed)
        if (!shouldRestart) {
          child.removed = true
          yield* hook(child, "onTerminated")?.(failed ? "failed" : "exited") ?? Effect.void
          return
        }

        const now = yield* Clock.currentTimeMillis
        restartTimes = restartTimes.filter((t) => now - t < spec.intensity.withinMs)
        restartTimes.push(now)
        if (restartTimes.length > spec.intensity.maxRestarts) return yield* giveUp(child.spec.id)

        // An incarnation that ran the stable period ends the streak; one that did not extends it,
        // however far apart its backoff has pushed the failures.
        if (now - startedAt >= spec.backoff.resetAfterMs) child.consecutive = 0
        if (child.consecutive >= restartsInARow(spec.intensity)) return yield* giveUp(child.spec.id, child.consecutive)
        const delayMs = yield* backoffDelay(child)
        child.consecutive++
        child.restarts++
        yield* hook(child, "onRestarting")?.({ restarts: child.restarts, delayMs }) ?? Effect.void

        const affected = spec.strategy === "one_for_one"
          ? [index]
          : spec.strategy === "one_for_all"
          ? children.map((_, i) => i)
          : children.map((_, i) => i).filter((i) => i >= index)
        // Siblings restarted along with the failed child stop in reverse order first. As in OTP's
        // terminate_children, a temporary sibling stopped this way is gone for good: it is never
        // restarted, whoever failed. Transient and permanent siblings start again with the group.
        for (const i of [...affected].reverse()) {
          if (i === index) continue
          const sibling = children[i]!
          if (sibling.removed) continue
          if (sibling.spec.restart === "temporary") {
            yield* stopChild(i, now, "shutdown")
            sibling.removed = true
          } else yield* stopChild(i, now, "restart")
        }
        yield* scheduleRestart(affected.filter((i) => !children[i]!.removed && !children[i]!.held), delayMs)
      })

    // However the supervisor ends (interrupted because its own shutdown timeout or the system's
    // deadline passed, or a defect), the children still running go down with it, all at once,
    // waited for at most their grace period, and say so.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        const still = children.flatMap((child, i) => child.running === undefined ? [] : [i]).reverse()
        yield* interruptChildren(still)
        for (const i of still) yield* hook(children[i]!, "onTerminated")?.("shutdown") ?? Effect.void
      })
    )

    const operate = (op: OperatorOp, id: string): Effect.Effect<string | undefined, never, R> =>
      Effect.gen(function*() {
        const index = children.findIndex((c) => c.spec.id === id)
        if (index === -1) return `${spec.name} has no child ${id}`
        const child = children[index]!
        if (child.removed) return `${id} has ended for good (restart type ${child.spec.restart}); it cannot be ${op === "stop" ? "stopped" : "started"} again`
        const now = yield* Clock.currentTimeMillis
        switch (op) {
          case "restart": {
            if (child.held) return `${id} is stopped; start it instead`
            // Now, not after the message in hand: restarting is how an operator unsticks a busy agent.
            if (child.running !== undefined) {
              yield* interruptChildren([index])
              yield* hook(child, "onStoppedForRestart")?.() ?? Effect.void
            }
            child.restarts++
            yield* hook(child, "onRestarting")?.({ restarts: child.restarts, delayMs: 0 }) ?? Effect.void
            yield* startChild(index)
            return undefined
          }
          case "stop": {
            if (child.held) return `${id} is already stopped`
            child.held = true
            yield* stopChild(index, now, "shutdown")
            return undefined
          }
          case "start": {
            if (!child.held && child.running !== undefined) return `${id} is already running`
            child.held = false
            if (child.running === undefined) yield* startChild(index)
            return undefined
          }
        }
      })

    spec.onControl?.(control)

    // Ordered start; a child that cannot start counts as a failure like any other.
    for (let i = 0; i < children.length; i++) yield* startChild(i)
    ready()

    while (true) {
      const event = yield* Queue.take(control)
      switch (event._tag) {
        case "Exit": {
          if (event.generation !== children[event.index]!.generation) break // we stopped it ourselves
          yield* onChildExit(event.index, event.exit)
          break
        }
        case "RestartDue":
          yield* startPending(event.indices, event.token)
          break
        case "Operator":
          event.reply(yield* operate(event.op, event.id))
          break
        case "Stop":
          yield* stopAll(event.drainUntil, "shutdown")
          return
      }
    }
  }))
