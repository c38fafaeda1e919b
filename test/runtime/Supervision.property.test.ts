/**
 * Supervision against a model of OTP's rules, for every strategy and every
 * mix of restart types: random children crash or exit normally, one at a
 * time, and after each the supervisor must have started exactly the children
 * the model says, and left exactly the ones it says stopped for good.
 *
 * The rules (OTP's): a permanent child is restarted whatever ended it, a
 * transient one only when it failed, a temporary one never. A child that is
 * restarted takes its siblings with it per strategy — one_for_one none,
 * one_for_all all, rest_for_one those after it — and a temporary sibling
 * stopped that way is gone for good. A child that is not restarted affects
 * nobody.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Queue } from "effect"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import type { Backoff, Intensity, RestartType, Strategy } from "../../src/runtime/Status.ts"
import { type ChildSpec, restartsInARow, runSupervisor, type SupervisorEvent } from "../../src/runtime/Supervisor.ts"

interface Probe {
  starts: number
  running: boolean
  /** Ends the current incarnation the way a child ends: a failure or a normal exit. */
  end: ((outcome: "crash" | "normal") => void) | undefined
}

const childOf = (id: string, restart: RestartType, probe: Probe): ChildSpec => ({
  id,
  restart,
  shutdownTimeoutMs: 1_000,
  makeRun: () => {
    let stop: (() => void) | undefined
    return {
      run: (ready) =>
        Effect.callback<void, Error>((resume) => {
          probe.starts++
          probe.running = true
          const finish = (exit: Effect.Effect<void, Error>) => {
            probe.running = false
            probe.end = undefined
            resume(exit)
          }
          probe.end = (outcome) => finish(outcome === "crash" ? Effect.fail(new Error(`${id} crashed`)) : Effect.void)
          stop = () => finish(Effect.void)
          ready()
          return Effect.sync(() => {
            probe.running = false
          })
        }),
      requestStop: () => stop?.()
    }
  }
})

interface Model {
  readonly starts: Array<number>
  readonly running: Array<boolean>
}

const affectedBy = (strategy: Strategy, index: number, count: number): ReadonlyArray<number> =>
  strategy === "one_for_one"
    ? [index]
    : Array.from({ length: count }, (_, i) => i).filter((i) => strategy === "one_for_all" || i >= index)

/** What OTP does when child `index` ends with `outcome`. */
const step = (model: Model, strategy: Strategy, types: ReadonlyArray<RestartType>, index: number, outcome: "crash" | "normal") => {
  const type = types[index]!
  const restarted = type === "permanent" || (type === "transient" && outcome === "crash")
  if (!restarted) {
    model.running[index] = false
    return
  }
  for (const i of affectedBy(strategy, index, types.length)) {
    if (i !== index && !model.running[i]) continue
    if (i !== index && types[i] === "temporary") {
      model.running[i] = false
      continue
    }
    model.starts[i]!++
    model.running[i] = true
  }
}

const scenario = fc.record({
  strategy: fc.constantFrom<Strategy>("one_for_one", "one_for_all", "rest_for_one"),
  types: fc.array(fc.constantFrom<RestartType>("permanent", "transient", "temporary"), { minLength: 1, maxLength: 5 }),
  events: fc.array(fc.record({ child: fc.nat(), outcome: fc.constantFrom<"crash" | "normal">("crash", "normal") }), {
    minLength: 1,
    maxLength: 15
  })
})

const run = (strategy: Strategy, types: ReadonlyArray<RestartType>, events: ReadonlyArray<{ child: number; outcome: "crash" | "normal" }>) =>
  Effect.scoped(Effect.gen(function*() {
    const probes: Array<Probe> = types.map(() => ({ starts: 0, running: false, end: undefined }))
    const control = yield* Queue.unbounded<SupervisorEvent>()
    let ready = false
    const supervisor = yield* Effect.forkScoped(runSupervisor({
      name: "root",
      strategy,
      intensity: { maxRestarts: 1_000_000, withinMs: 1 },
      backoff: { initialMs: 0, maxMs: 0, jitter: 0, resetAfterMs: 0 },
      children: types.map((type, i) => childOf(`c${i}`, type, probes[i]!))
    }, control, () => {
      ready = true
    }))
    const model: Model = { starts: types.map(() => 1), running: types.map(() => true) }
    const actual = () => ({ starts: probes.map((p) => p.starts), running: probes.map((p) => p.running) })
    /** The supervisor works on its own fiber: let it run until it matches the model or has had ample turns. */
    const settle = Effect.gen(function*() {
      for (let turn = 0; turn < 200; turn++) {
        const now = actual()
        if (JSON.stringify(now) === JSON.stringify(model)) return
        yield* Effect.yieldNow
      }
    })
    yield* settle
    assert.isTrue(ready, "the supervisor started its children")
    const history: Array<string> = []
    for (const { child, outcome } of events) {
      const index = child % types.length
      if (!model.running[index]) continue
      history.push(`c${index} ${outcome}`)
      step(model, strategy, types, index, outcome)
      probes[index]!.end!(outcome)
      yield* settle
      assert.deepStrictEqual(actual(), model, `${strategy} [${types.join(", ")}] after ${history.join(", ")}`)
    }
    assert.isUndefined(supervisor.pollUnsafe(), "the supervisor is still running")
    yield* Queue.offer(control, { _tag: "Stop", drainUntil: 0 })
    const exit = yield* Fiber.await(supervisor)
    assert.isTrue(Exit.isSuccess(exit), "it stops cleanly")
    assert.deepStrictEqual(probes.map((p) => p.running), types.map(() => false), "and stops every child")
  }))

describe("supervision follows OTP for every strategy and restart type", () => {
  it.live("property: after every crash or normal exit, the children running and their starts are the model's", () =>
    Effect.promise(() =>
      fc.assert(fc.asyncProperty(scenario, ({ strategy, types, events }) => Effect.runPromise(run(strategy, types, events))), {
        numRuns: 300
      })
    ))

  it.live("a temporary sibling stopped by a one_for_all restart is not restarted", () =>
    run("one_for_all", ["permanent", "temporary", "transient"], [{ child: 0, outcome: "crash" }, { child: 2, outcome: "crash" }]))

  it.live("a transient child that exits normally restarts nobody; one that fails takes its rest_for_one siblings along", () =>
    run("rest_for_one", ["permanent", "transient", "permanent"], [{ child: 1, outcome: "crash" }, { child: 1, outcome: "normal" }, { child: 0, outcome: "crash" }]))
})

/*
 * Escalation of a crash loop, against a model, with time: one child fails after
 * each of the given lifetimes in turn (TestClock), and the supervisor must give
 * up exactly where the model says. The model's rules: more than MaxR restarts
 * within MaxT gives up; so does a failure after K = maxRestartsInARow restarts
 * in a row, where the streak is broken only by an incarnation that ran the
 * stable period (backoff.resetAfterMs). Backoff delays are read off the
 * supervisor (they are random with jitter) and checked against their bounds.
 */

interface Loop {
  readonly intensity: Intensity
  readonly backoff: Backoff
  /** How long each incarnation runs before it fails. */
  readonly lifetimes: ReadonlyArray<number>
}

interface LoopOutcome {
  /** The failure (1-based) at which the supervisor gave up, if it did. */
  readonly gaveUpAt: number | undefined
  readonly delays: ReadonlyArray<number>
  readonly reason: string | undefined
}

/** Yields until `done()` holds; a bounded number of turns, so a wrong expectation fails rather than hangs. */
const until = (what: string, done: () => boolean) =>
  Effect.gen(function*() {
    for (let turn = 0; turn < 500; turn++) {
      if (done()) return
      yield* Effect.yieldNow
    }
    assert.fail(`never: ${what}`)
  })

const runLoop = ({ intensity, backoff, lifetimes }: Loop) =>
  Effect.scoped(Effect.gen(function*() {
    const probe: Probe = { starts: 0, running: false, end: undefined }
    const delays: Array<number> = []
    const control = yield* Queue.unbounded<SupervisorEvent>()
    const child: ChildSpec = {
      ...childOf("c", "permanent", probe),
      hooks: { onRestarting: ({ delayMs }) => Effect.sync(() => void delays.push(delayMs)) }
    }
    const supervisor = yield* Effect.forkScoped(runSupervisor({ name: "sup", strategy: "one_for_one", intensity, backoff, children: [child] }, control, () => {}))
    yield* until("the child starts", () => probe.running)
    for (let i = 0; i < lifetimes.length; i++) {
      yield* TestClock.adjust(lifetimes[i]!)
      probe.end!("crash")
      yield* until(`failure ${i + 1} is handled`, () => delays.length === i + 1 || supervisor.pollUnsafe() !== undefined)
      const exit = supervisor.pollUnsafe()
      if (exit !== undefined) {
        assert.isTrue(Exit.isFailure(exit), "a supervisor that stops on its own has given up")
        return { gaveUpAt: i + 1, delays, reason: Exit.isFailure(exit) ? String(exit.cause) : undefined } satisfies LoopOutcome
      }
      yield* TestClock.adjust(delays[i]!)
      yield* until(`restart ${i + 1}`, () => probe.running)
    }
    return { gaveUpAt: undefined, delays, reason: undefined } satisfies LoopOutcome
  }))

/** The model: where the supervisor gives up, given the delays it chose; and each delay within its backoff bounds. */
const modelOf = ({ intensity, backoff, lifetimes }: Loop, delays: ReadonlyArray<number>) => {
  let startedAt = 0
  let inARow = 0
  let window: Array<number> = []
  for (let i = 0; i < lifetimes.length; i++) {
    const failedAt = startedAt + lifetimes[i]!
    window = window.filter((t) => failedAt - t < intensity.withinMs)
    window.push(failedAt)
    if (window.length > intensity.maxRestarts) return i + 1
    if (lifetimes[i]! >= backoff.resetAfterMs) inARow = 0
    if (inARow >= restartsInARow(intensity)) return i + 1
    const base = inARow === 0 ? 0 : Math.min(backoff.maxMs, backoff.initialMs * 2 ** (inARow - 1))
    assert.isAtLeast(delays[i]!, Math.floor(base * (1 - backoff.jitter)), `delay ${i + 1}`)
    assert.isAtMost(delays[i]!, Math.ceil(base * (1 + backoff.jitter)), `delay ${i + 1}`)
    inARow++
    startedAt = failedAt + delays[i]!
  }
  return undefined
}

const intensityArb = fc.record({
  maxRestarts: fc.integer({ min: 0, max: 12 }),
  withinMs: fc.integer({ min: 1, max: 120_000 }),
  maxRestartsInARow: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined })
}).map(({ maxRestartsInARow, ...rest }): Intensity => maxRestartsInARow === undefined ? rest : { ...rest, maxRestartsInARow })

const backoffArb = fc.record({
  initialMs: fc.integer({ min: 0, max: 5_000 }),
  extraMs: fc.integer({ min: 0, max: 60_000 }),
  jitter: fc.integer({ min: 0, max: 100 }).map((percent) => percent / 100),
  resetAfterMs: fc.integer({ min: 1, max: 120_000 })
}).map(({ extraMs, ...rest }): Backoff => ({ ...rest, maxMs: rest.initialMs + extraMs }))

/** Runs each scenario on the test's own clock. */
const check = <A>(arbitrary: fc.Arbitrary<A>, property: (a: A) => Effect.Effect<void>, numRuns: number) =>
  Effect.gen(function*() {
    const run = Effect.runPromiseWith(yield* Effect.context<never>())
    yield* Effect.promise(() => fc.assert(fc.asyncProperty(arbitrary, (a) => run(property(a))), { numRuns }))
  })

describe("a crash loop escalates, however backoff and the window interact", () => {
  it.effect("property: the supervisor gives up at exactly the failure the model says", () =>
    check(
      fc.record({ intensity: intensityArb, backoff: backoffArb, lifetimes: fc.array(fc.integer({ min: 0, max: 150_000 }), { minLength: 1, maxLength: 20 }) }),
      (loop) =>
        Effect.map(runLoop(loop), ({ gaveUpAt, delays }) =>
          assert.strictEqual(gaveUpAt, modelOf(loop, delays), `delays ${delays.join(", ")}`)),
      200
    ), 120_000)

  it.effect("property: a child that keeps failing before it is stable is restarted at most K times in a row: it escalates by its (K+1)-th failure", () =>
    check(
      fc.record({ intensity: intensityArb, backoff: backoffArb, extra: fc.nat(4), seed: fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 30, maxLength: 30 }) })
        .map(({ intensity, backoff, extra, seed }): Loop => ({
          intensity,
          backoff,
          // Every incarnation fails before the stable period.
          lifetimes: seed.slice(0, restartsInARow(intensity) + 1 + extra).map((x) => Math.floor(x * backoff.resetAfterMs))
        })),
      (loop) =>
        Effect.map(runLoop(loop), ({ gaveUpAt }) => {
          assert.isDefined(gaveUpAt, "it escalated")
          assert.isAtMost(gaveUpAt!, restartsInARow(loop.intensity) + 1)
        }),
      150
    ), 120_000)

  it.effect("property: a child stable between failures spaced further apart than the window never escalates", () =>
    check(
      fc.record({
        intensity: intensityArb.filter((i) => i.maxRestarts >= 1 && restartsInARow(i) >= 1),
        backoff: backoffArb,
        extras: fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 20 })
      }).map(({ intensity, backoff, extras }): Loop => ({
        intensity,
        backoff,
        lifetimes: extras.map((extra) => Math.max(backoff.resetAfterMs, intensity.withinMs) + extra)
      })),
      (loop) => Effect.map(runLoop(loop), ({ gaveUpAt }) => assert.isUndefined(gaveUpAt)),
      150
    ), 120_000)

  it.effect("the defaults of the roster's busiest tiers: a loop of immediate failures escalates at the ninth, within the stable minute", () =>
    Effect.gen(function*() {
      const { gaveUpAt, delays, reason } = yield* runLoop({
        intensity: { maxRestarts: 10, withinMs: 60_000, maxRestartsInARow: 8 },
        backoff: { initialMs: 200, maxMs: 30_000, jitter: 0.2, resetAfterMs: 60_000 },
        lifetimes: Array.from({ length: 12 }, () => 0)
      })
      assert.strictEqual(gaveUpAt, 9)
      assert.isBelow(delays.reduce((sum, d) => sum + d, 0), 60_000, "so the parent sees an unstable child too")
      assert.match(reason ?? "", /c failed again after 8 restarts in a row without once running 60000 ms/)
    }))
})
