/**
 * `sigmavault selftest`: starts the whole supervision tree in-process (no
 * socket, state in a temporary directory), asks CORE for the system facts
 * and stops. Used to smoke-test a freshly built binary, including a
 * cross-built one under emulation.
 */
import { Effect } from "effect"
import * as ActorSystem from "../runtime/ActorSystem.ts"
import { rosterTree, type RosterServices } from "../actors/roster.ts"

export const run: Effect.Effect<number, never, RosterServices> = Effect.scoped(Effect.gen(function*() {
  const system = yield* ActorSystem.make({ root: rosterTree() })
  const summary = system.summary()
  const facts = yield* system.ask("CORE", { type: "facts" }, { timeoutMs: 30_000 }).pipe(Effect.exit)
  yield* system.shutdown({ deadlineMs: 1_000 })
  if (facts._tag === "Failure") {
    process.stderr.write(`selftest failed: CORE did not answer facts\n`)
    return 1
  }
  process.stdout.write(JSON.stringify({ agents: summary.agents, running: summary.running, facts: facts.value }) + "\n")
  return summary.running === summary.agents ? 0 : 1
}))
