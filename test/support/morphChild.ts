/**
 * A migration run in a process of its own for the fault matrix: it goes on
 * from the journal and SIGKILLs itself at journal point `killAt` (before and
 * after each append are two points), as a power cut or `kill -9` would stop it.
 * Run with bun: `bun test/support/morphChild.ts '{"journals":…}'`.
 */
import { Effect } from "effect"
import { forward, readPlan, revert } from "./morph.ts"

const args = JSON.parse(process.argv[2]!) as {
  readonly journals: string
  readonly root: string
  readonly id: string
  readonly phase: "forward" | "revert"
  readonly killAt: number
  readonly batchFiles: number
}
const plan = readPlan(args.journals, args.id)
const hooks = { point: (n: number) => (n === args.killAt ? process.kill(process.pid, "SIGKILL") : undefined) }
const run = args.phase === "forward"
  ? forward(args.journals, args.root, plan, { batchFiles: args.batchFiles }, hooks)
  : revert(args.journals, args.root, plan, hooks)
await Effect.runPromise(run)
process.exit(0)
