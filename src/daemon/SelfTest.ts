/**
 * `sigmavault selftest`: starts the whole supervision tree in-process (no
 * socket, state in a temporary directory), asks CORE for the system facts,
 * has NEURAL remember two texts and recall one through HNSW (which proves the
 * embedded hnswlib addon loads), and stops. Used to smoke-test a freshly built binary, including a
 * cross-built one under emulation.
 */
import { Cause, Effect } from "effect"
import { AccessPolicy, makePolicy } from "../access/Policy.ts"
import * as ActorSystem from "../runtime/ActorSystem.ts"
import type { AgentMessage } from "../runtime/Agent.ts"
import { rosterTree, type RosterServices } from "../actors/roster.ts"

export const run: Effect.Effect<number, never, Exclude<RosterServices, AccessPolicy>> = Effect.scoped(Effect.gen(function*() {
  // In process, as the daemon itself: nothing passes the gate, and the policy only answers AEGIS.
  const system = yield* ActorSystem.make({ root: rosterTree() }).pipe(
    Effect.provideService(AccessPolicy, makePolicy({ read: [], operate: [], admin: [] }))
  )
  const summary = system.summary()
  const facts = yield* system.ask("CORE", { type: "facts" }, { timeoutMs: 30_000 }).pipe(Effect.exit)
  const memory = yield* recallThroughNeural(system).pipe(Effect.exit)
  yield* system.shutdown({ deadlineMs: 1_000 })
  if (facts._tag === "Failure") {
    process.stderr.write(`selftest failed: CORE did not answer facts\n`)
    return 1
  }
  if (memory._tag === "Failure") {
    process.stderr.write(`selftest failed: NEURAL could not remember and recall: ${Cause.pretty(memory.cause)}\n`)
    return 1
  }
  process.stdout.write(
    JSON.stringify({ agents: summary.agents, running: summary.running, facts: facts.value, memory: memory.value }) + "\n"
  )
  return summary.running === summary.agents ? 0 : 1
}))

const recallThroughNeural = (system: ActorSystem.ActorSystem) =>
  Effect.gen(function*() {
    const ask = (message: AgentMessage) => system.ask("NEURAL", message, { timeoutMs: 30_000 })
    yield* ask({ type: "remember", collection: "selftest", id: "scrub", text: "scrub of pool tank finished without errors" })
    yield* ask({ type: "remember", collection: "selftest", id: "smart", text: "disk sda reallocated sectors rising" })
    const recall = (yield* ask({ type: "recall", collection: "selftest", text: "pool scrub finished", k: 1, mode: "similar" })) as {
      readonly layer: string
      readonly matches: ReadonlyArray<{ readonly id: string }>
    }
    if (recall.layer !== "hnsw" || recall.matches[0]?.id !== "scrub") {
      return yield* Effect.fail(new Error(`expected HNSW to recall 'scrub', got ${JSON.stringify(recall)}`))
    }
    return { layer: recall.layer, recalled: recall.matches[0].id }
  })
