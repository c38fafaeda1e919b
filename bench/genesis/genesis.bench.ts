/**
 * GENESIS `setup-plan` for 12 blank disks, through the actor system with the
 * real agents it asks (ORACLE for health, ARCHITECT for the layout) and the
 * protocols it validates each task against, vs its anchor in the same run:
 * ARCHITECT's own `recommend` for the same 12 disks, asked the same way.
 * The ratio is what first-run planning costs over the layout alone
 * (discovery, SMART health, the plan and its validation). Median of the runs.
 */
import { Effect } from "effect"
import { blankDisk, rootDisk } from "../../test/support/genesisInventory.ts"
import { READER, withGenesisSystem } from "../../test/support/genesisSystem.ts"
import { now, round } from "../support.ts"

const RUNS = 40
const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export const genesis = async () => {
  const devices = [rootDisk(), ...Array.from({ length: 12 }, (_, i) => blankDisk(i))]
  return Effect.runPromise(withGenesisSystem(devices, {}, ({ system }) =>
    Effect.gen(function*() {
      const time = (agent: string, message: { readonly type: string; readonly [key: string]: unknown }) =>
        Effect.gen(function*() {
          const samples: Array<number> = []
          for (let i = 0; i < RUNS + 5; i++) {
            const t0 = now()
            yield* system.injectAsk(READER, agent, message, { timeoutMs: 30_000 })
            if (i >= 5) samples.push(now() - t0)
          }
          return median(samples)
        })
      const plan = (yield* system.injectAsk(READER, "GENESIS", { type: "setup-plan" })) as { layout: { name: string }; plan: { tasks: ReadonlyArray<unknown> } }
      if (plan.layout.name !== "2 × raidz2 of 6" || plan.plan.tasks.length !== 10) throw new Error(`unexpected plan: ${plan.layout.name}`)
      const anchorMs = yield* time("ARCHITECT", { type: "recommend", disks: devices.slice(1).map((d) => d.path) })
      const setupMs = yield* time("GENESIS", { type: "setup-plan" })
      // Where the rest goes: ORACLE's fresh SMART reading of the 12 disks, which GENESIS asks for.
      const oracleMs = yield* time("ORACLE", { type: "assess" })
      return {
        what: "GENESIS setup-plan for 12 blank 4 TB disks (discover + ORACLE assess + ARCHITECT recommend + plan + per-task validation) vs ARCHITECT recommend alone",
        runs: RUNS,
        layout: plan.layout.name,
        tasks: plan.plan.tasks.length,
        setupPlanMs: round(setupMs),
        architectRecommendMs: round(anchorMs),
        oracleAssessMs: round(oracleMs),
        ratioVsArchitect: round(setupMs / anchorMs)
      }
    })))
}
