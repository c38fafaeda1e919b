/**
 * A metric history in a process of its own, for the crash tests: it records
 * one sample per 10 s bucket (value = its index) in batches, flushes after
 * each batch and prints `acked N` once the flush has completed (all samples
 * below N are then durable), forever, until the test SIGKILLs it. Small
 * checkpoint thresholds make checkpoints happen mid-run too.
 * Run with bun: `bun test/support/historyChild.ts '{"dir":…,"base":…,"batch":…}'`.
 */
import { Effect } from "effect"
import { Files } from "../../src/adapters/fs/Files.ts"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import { make } from "../../src/history/HistoryLive.ts"

const args = JSON.parse(process.argv[2]!) as { readonly dir: string; readonly base: number; readonly batch: number; readonly limit: number }

const program = Effect.gen(function*() {
  const history = yield* make({ dir: args.dir, checkpointJournalBytes: 8 * 1024 })
  process.stdout.write(`started ${history.recovery.samples}\n`)
  for (let i = 0; i < args.limit; i += args.batch) {
    const samples = Array.from({ length: Math.min(args.batch, args.limit - i) }, (_, j) => ({
      name: "sigmavault_crash_test",
      labels: { run: "child" },
      value: i + j,
      at: args.base + (i + j) * 10_000
    }))
    yield* history.record(samples)
    yield* history.flush
    process.stdout.write(`acked ${i + samples.length}\n`)
  }
  process.stdout.write("done\n")
  // wait to be killed
  yield* Effect.never
}).pipe(Effect.scoped, Effect.provideService(Files, FilesLive.make()))

await Effect.runPromise(program)
