/**
 * The history's memory at its byte cap, in a process of its own (so nothing
 * else the bench did is in its RSS): 100 series recorded tick by tick, one
 * sample an hour for two years and then one every 10 s for the last 6 hours,
 * which is far more than the default cap holds. Prints one JSON line.
 * Run with bun: `bun bench/history/memory-child.ts MAX_BYTES`.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit, Scope } from "effect"
import { Files } from "../../src/adapters/fs/Files.ts"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import type { Sample } from "../../src/history/History.ts"
import { make } from "../../src/history/HistoryLive.ts"

const maxBytes = Number(process.argv[2])
const SERIES = 100
const gc = () => (globalThis as unknown as { Bun: { gc: (full: boolean) => void } }).Bun.gc(true)
const memory = () => {
  gc()
  gc()
  const m = process.memoryUsage()
  return { rss: m.rss, heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers }
}

const dir = mkdtempSync(join(tmpdir(), `sigmavault-bench-history-mem-${process.pid}-`))
const scope = Effect.runSync(Scope.make())
const before = memory()
const h = await Effect.runPromise(make({ dir, maxBytes }).pipe(Scope.provide(scope), Effect.provideService(Files, FilesLive.make())))
const now = Date.now() - 60_000
const labels = Array.from({ length: SERIES }, (_, s) => ({ series: `s${s}` }))
const tick = (at: number, value: number): Array<Sample> => labels.map((l) => ({ name: "sigmavault_bench_fill", labels: l, value, at }))
let refused = 0
let samples = 0
const t0 = performance.now()
const DAYS = Number(process.env.BENCH_HISTORY_DAYS ?? 730)
for (let at = now - DAYS * 86_400_000; at < now - 6 * 3_600_000; at += 3_600_000) {
  const r = await Effect.runPromise(h.record(tick(at, at % 1000)))
  refused += r.refused
  samples += SERIES
}
for (let at = now - 6 * 3_600_000; at <= now; at += 10_000) {
  const r = await Effect.runPromise(h.record(tick(at, at % 1000)))
  refused += r.refused
  samples += SERIES
}
await Effect.runPromise(h.flush)
const fillMs = performance.now() - t0
const stats = await Effect.runPromise(h.stats)
const pressure = await Effect.runPromise(h.pressure)
const after = memory()
await Effect.runPromise(Scope.close(scope, Exit.void))
rmSync(dir, { recursive: true, force: true })
process.stdout.write(JSON.stringify({
  maxBytes,
  samples,
  refused,
  fillMs: Math.round(fillMs),
  series: stats.series,
  bytesCounted: stats.bytes,
  rssAdded: after.rss - before.rss,
  heapAdded: after.heapUsed - before.heapUsed,
  arrayBuffersAdded: after.arrayBuffers - before.arrayBuffers,
  evictedChunks: pressure.evictedChunks,
  horizon: pressure.horizon
}) + "\n")
process.exit(0)
