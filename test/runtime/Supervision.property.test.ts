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
import * as fc from "fast-check"
import type { RestartType, Strategy } from "../../src/runtime/Status.ts"
import { type ChildSpec, runSupervisor, type SupervisorEvent } from "../../src/runtime/Supervisor.ts"

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
