/**
 * `apex`: what APEX adds to the asks a plan makes, and how fast a cancel is.
 *
 * - overhead: a 1,000-task plan (four chains of `inc` to four counters, at
 *   most 4 tasks at once) run by APEX, from `run` with confirm to the plan's
 *   end, against the anchor: the same 1,000 asks (askAs, on the same caller's
 *   behalf) sent directly by a loop with the same concurrency. Alternating
 *   rounds, medians. Goal: (apex − anchor) / 1,000 < 1 ms per task.
 * - cancel: a plan of 1,000 tasks whose first holds the rest back; `cancel`
 *   from request to answer (every pending task marked cancelled). Goal < 1 s.
 */
import { Effect, Layer } from "effect"
import { apexAgent, ApexConfig, defaultApexConfig } from "../../src/actors/apex/index.ts"
import * as StateStoreTest from "../../src/adapters/state/StateStoreTest.ts"
import * as ActorSystem from "../../src/runtime/ActorSystem.ts"
import type { Caller } from "../../src/runtime/Caller.ts"
import { counterAgent, fastBackoff, generous } from "../../test/support/agents.ts"
import { now, round } from "../support.ts"

const TASKS = 1000
/** How often the bench reads the plan to see it end (an ask to APEX, which the figure includes). */
const POLL_MS = Number(process.env.BENCH_APEX_POLL_MS ?? 5)
const CONCURRENCY = 4
const ROUNDS = Number(process.env.BENCH_APEX_ROUNDS ?? 7)
const ROOT: Caller = { uid: 0, gid: 0, groups: [], via: "socket" }
const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export const apex = async () =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const counters = Array.from({ length: CONCURRENCY }, (_, i) => `COUNTER${i}`)
    const system = yield* ActorSystem.make({
      root: {
        name: "root",
        strategy: "one_for_one",
        intensity: generous,
        backoff: fastBackoff,
        children: [...counters.map((name) => counterAgent(name, { mailboxCapacity: 4096 })), apexAgent]
      }
    })
    const tasks = Array.from({ length: TASKS }, (_, i) => ({
      id: `t${i}`,
      agent: counters[i % CONCURRENCY]!,
      message: { type: "inc" },
      ...(i >= CONCURRENCY ? { after: [`t${i - CONCURRENCY}`] } : {})
    }))
    const ask = (message: Record<string, unknown> & { type: string }) => system.injectAsk(ROOT, "APEX", message, { timeoutMs: 600_000 })

    const anchor = Effect.gen(function*() {
      const start = now()
      // Four chains, each in order, the chains side by side: the plan's shape without APEX.
      yield* Effect.forEach(counters, (agent) =>
        Effect.gen(function*() {
          for (let i = 0; i < TASKS / CONCURRENCY; i++) yield* system.askAs({ ...ROOT, via: "plan" }, agent, { type: "inc" })
        }), { concurrency: CONCURRENCY, discard: true })
      return now() - start
    })
    let planNo = 0
    const viaApex = Effect.gen(function*() {
      const start = now()
      const { id } = (yield* ask({ type: "run", goal: "bench", id: `bench-${++planNo}`, tasks, concurrency: CONCURRENCY, confirm: true })) as { id: string }
      for (;;) {
        const plan = (yield* ask({ type: "plan", id, limit: 0 })) as { state: string; counts: { succeeded: number } }
        if (plan.state !== "running") {
          if (plan.state !== "succeeded" || plan.counts.succeeded !== TASKS) throw new Error(`bench plan ended ${plan.state}`)
          break
        }
        yield* Effect.sleep(POLL_MS)
      }
      return now() - start
    })
    const rows = { anchor: [] as Array<number>, apex: [] as Array<number> }
    // One warm-up of each.
    yield* anchor
    yield* viaApex
    for (let r = 0; r < ROUNDS; r++) {
      rows.anchor.push(yield* anchor)
      rows.apex.push(yield* viaApex)
    }
    const anchorMs = median(rows.anchor)
    const apexMs = median(rows.apex)

    const cancels: Array<number> = []
    for (let r = 0; r < 3; r++) {
      const held = [
        { id: "hold", agent: counters[0]!, message: { type: "sleep", ms: 500 } },
        ...Array.from({ length: TASKS - 1 }, (_, i) => ({ id: `p${i}`, agent: counters[(i % (CONCURRENCY - 1)) + 1]!, message: { type: "inc" }, after: ["hold"] }))
      ]
      const { id } = (yield* ask({ type: "run", goal: "held", id: `held-${r}`, tasks: held, confirm: true })) as { id: string }
      yield* Effect.sleep(20)
      const start = now()
      const reply = (yield* ask({ type: "cancel", id })) as { cancelled: number }
      cancels.push(now() - start)
      if (reply.cancelled !== TASKS) throw new Error(`cancel reached ${reply.cancelled} tasks`)
      // The held counter (its sleep does not stop when abandoned) is free again after 500 ms.
      yield* system.injectAsk(ROOT, counters[0]!, { type: "get" })
    }
    return {
      tasks: TASKS,
      concurrency: CONCURRENCY,
      rounds: ROUNDS,
      overhead: {
        anchorMs: round(anchorMs),
        apexMs: round(apexMs),
        ratio: round(apexMs / anchorMs, 3),
        overheadPerTaskMs: round((apexMs - anchorMs) / TASKS, 4)
      },
      cancelPendingMs: { median: round(median(cancels)), runs: cancels.map((c) => round(c)) },
      goal: "overheadPerTaskMs < 1; cancelPendingMs.median < 1000"
    }
  })).pipe(Effect.provide(Layer.mergeAll(StateStoreTest.layer())), Effect.provideService(ApexConfig, { ...defaultApexConfig, plansKept: Number(process.env.BENCH_APEX_KEPT ?? 100) })))
