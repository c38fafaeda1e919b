/**
 * The metric history (HistoryLive, docs/history.md), each figure against an
 * anchor in the same run:
 *  - ingest: 1M samples (100 series × 10,000 ticks, 1 s apart) recorded in
 *    batches of one tick, journaled and flushed to a real disk, against
 *    HistoryTest's plain append of the same samples to arrays, and against a
 *    raw append of the same samples (21 bytes each) to a file, fsynced;
 *  - memory at the cap: in a process of its own, 100 series fed tick by tick
 *    (hourly for two years, then every 10 s for 6 hours: far more than the
 *    default 16 MiB cap holds) — the RSS it adds and its own byte count,
 *    against the cap;
 *  - a 30-day query of one series (a sample every 10 s for 30 days), against
 *    HistoryTest's brute-force query over the same raw samples.
 */
import { spawnSync } from "node:child_process"
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Scope } from "effect"
import { Files } from "../../src/adapters/fs/Files.ts"
import * as FilesLive from "../../src/adapters/fs/FilesLive.ts"
import type { MetricHistoryShape, Query, Sample } from "../../src/history/History.ts"
import { make } from "../../src/history/HistoryLive.ts"
import * as HistoryTest from "../../src/history/HistoryTest.ts"
import { DEFAULT_HISTORY_MAX_BYTES } from "../../src/history/limits.ts"
import { now, round } from "../support.ts"

const SERIES = 100
const TICKS = Number(process.env.BENCH_HISTORY_TICKS ?? 10_000)
const QUERY_RUNS = 30
const DAY = 86_400_000

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** A HistoryLive in a fresh temporary directory, closed (and the directory removed) by `use`'s end. */
const withLive = async <A>(options: { maxBytes?: number; maxSeries?: number }, use: (h: MetricHistoryShape & { flush: Effect.Effect<void, unknown> }) => Promise<A>): Promise<A> => {
  const dir = mkdtempSync(join(tmpdir(), `sigmavault-bench-history-${process.pid}-`))
  const scope = Effect.runSync(Scope.make())
  try {
    const h = await Effect.runPromise(make({ dir, ...options }).pipe(Scope.provide(scope), Effect.provideService(Files, FilesLive.make())))
    return await use(h)
  } finally {
    await Effect.runPromise(Scope.close(scope, { _tag: "Success", value: undefined } as never))
    rmSync(dir, { recursive: true, force: true })
  }
}

const ticks = (start: number): Array<Array<Sample>> =>
  Array.from({ length: TICKS }, (_, t) =>
    Array.from({ length: SERIES }, (_, s) => ({ name: "sigmavault_bench_value", labels: { series: `s${s}` }, value: (t * 31 + s * 7) % 1000, at: start + t * 1000 })))

const ingest = async () => {
  const start = Date.now() - TICKS * 1000 - 60_000
  const batches = ticks(start)
  const total = TICKS * SERIES
  // ours: record every batch, then one flush (everything durable)
  const oursMs = await withLive({}, async (h) => {
    await Effect.runPromise(h.record(batches[0]!)) // warm-up: the series exist
    const t0 = now()
    for (let i = 1; i < batches.length; i++) await Effect.runPromise(h.record(batches[i]!))
    await Effect.runPromise(h.flush)
    const ms = now() - t0
    const stats = await Effect.runPromise(h.stats)
    if (stats.samples !== total) throw new Error(`HistoryLive accepted ${stats.samples} of ${total} samples (refused ${JSON.stringify(stats.refused)})`)
    return ms
  })
  // anchor 1: HistoryTest, a plain append of each sample to its series' array
  const reference = Effect.runSync(HistoryTest.make())
  Effect.runSync(reference.record(batches[0]!))
  let t0 = now()
  for (let i = 1; i < batches.length; i++) Effect.runSync(reference.record(batches[i]!))
  const arrayMs = now() - t0
  // anchor 2: the same samples appended raw (series number, at, value: 21 bytes) to a file, one write per 64 KiB, fsynced
  const dir = mkdtempSync(join(tmpdir(), `sigmavault-bench-history-raw-${process.pid}-`))
  const fd = openSync(join(dir, "raw"), "w")
  const buffer = Buffer.alloc(64 * 1024)
  const ids = new Map<string, number>()
  t0 = now()
  let p = 0
  for (let i = 1; i < batches.length; i++) {
    for (const sample of batches[i]!) {
      const key = `${sample.name}${JSON.stringify(sample.labels)}`
      let id = ids.get(key)
      if (id === undefined) ids.set(key, (id = ids.size))
      if (p + 21 > buffer.length) {
        writeSync(fd, buffer, 0, p)
        p = 0
      }
      buffer.writeUInt8(2, p)
      buffer.writeUInt32LE(id, p + 1)
      buffer.writeDoubleLE(sample.at!, p + 5)
      buffer.writeDoubleLE(sample.value, p + 13)
      p += 21
    }
  }
  writeSync(fd, buffer, 0, p)
  fsyncSync(fd)
  const fileMs = now() - t0
  closeSync(fd)
  rmSync(dir, { recursive: true, force: true })
  const n = total - SERIES
  return {
    samples: n,
    oursPerSec: Math.round(n / oursMs * 1000),
    arrayAppendPerSec: Math.round(n / arrayMs * 1000),
    rawFileAppendPerSec: Math.round(n / fileMs * 1000),
    ratioVsArrayAppend: round(arrayMs / oursMs, 3),
    ratioVsRawFileAppend: round(fileMs / oursMs, 3),
    goalPerSec: 100_000
  }
}

interface ChildFigures {
  maxBytes: number
  samples: number
  refused: number
  fillMs: number
  series: number
  bytesCounted: number
  rssAdded: number
  heapAdded: number
  evictedChunks: number
  horizon: ReadonlyArray<number | null>
}

/** One fill in a process of its own (memory-child.ts), so the figure is the history's alone. */
const fill = (maxBytes: number): ChildFigures => {
  const result = spawnSync(process.execPath, [join(import.meta.dirname, "memory-child.ts"), String(maxBytes)], { encoding: "utf8", timeout: 900_000 })
  if (result.status !== 0) throw new Error(`memory-child failed (${result.status} ${result.signal}): ${result.stderr.slice(0, 2000)}`)
  return JSON.parse(result.stdout.trim().split("\n").at(-1)!) as ChildFigures
}

/**
 * The default cap against an anchor run at the smallest cap (1 MiB) with the
 * same samples: what the runtime and the bench's own garbage add to RSS is in
 * both, so the difference is what the history's memory costs.
 */
const memoryAtCap = async () => {
  const maxBytes = DEFAULT_HISTORY_MAX_BYTES
  const anchorBytes = 1024 * 1024
  const atCap = fill(maxBytes)
  const anchor = fill(anchorBytes)
  const now = Date.now()
  const rssOverAnchor = atCap.rssAdded - anchor.rssAdded
  return {
    atCap: { ...atCap, horizonAgeHours: atCap.horizon.map((h) => (h === null ? null : round((now - h) / 3_600_000, 1))) },
    anchorAt1MiB: { rssAdded: anchor.rssAdded, heapAdded: anchor.heapAdded, bytesCounted: anchor.bytesCounted },
    ratioCountedToCap: round(atCap.bytesCounted / maxBytes, 3),
    ratioHeapToCap: round(atCap.heapAdded / maxBytes, 3),
    ratioRssToCap: round(atCap.rssAdded / maxBytes, 3),
    ratioRssOverAnchorToCapDifference: round(rssOverAnchor / (maxBytes - anchorBytes), 3)
  }
}

const query30Days = async () => {
  const nowMs = Date.now()
  const samples: Array<Sample> = []
  for (let at = nowMs - 30 * DAY; at < nowMs; at += 10_000) samples.push({ name: "sigmavault_bench_q", labels: { disk: "sda" }, value: Math.sin(at / 3_600_000) * 100, at })
  const query: Query = { name: "sigmavault_bench_q", matchers: [{ label: "disk", op: "=", value: "sda" }], from: nowMs - 30 * DAY, to: nowMs, step: 300_000 }
  const ours = await withLive({}, async (h) => {
    for (let i = 0; i < samples.length; i += 10_000) await Effect.runPromise(h.record(samples.slice(i, i + 10_000)))
    const times: Array<number> = []
    let points = 0
    for (let r = 0; r < QUERY_RUNS; r++) {
      const t0 = now()
      const result = await Effect.runPromise(h.query(query))
      times.push(now() - t0)
      points = result[0]!.points.length
    }
    return { ms: median(times), points }
  })
  const reference = Effect.runSync(HistoryTest.make())
  Effect.runSync(reference.record(samples))
  const times: Array<number> = []
  for (let r = 0; r < Math.min(QUERY_RUNS, 10); r++) {
    const t0 = now()
    Effect.runSync(reference.query(query))
    times.push(now() - t0)
  }
  const bruteMs = median(times)
  return {
    samples: samples.length,
    points: ours.points,
    oursMs: round(ours.ms, 3),
    bruteForceMs: round(bruteMs, 3),
    ratioVsBruteForce: round(bruteMs / ours.ms, 1),
    goalMs: 10
  }
}

export const history = async () => {
  // BENCH_HISTORY_ONLY=ingest|memory|query runs one part
  const only = process.env.BENCH_HISTORY_ONLY
  const memory = only === undefined || only === "memory" ? await memoryAtCap() : undefined
  const ingestFigures = only === undefined || only === "ingest" ? await ingest() : undefined
  const query = only === undefined || only === "query" ? await query30Days() : undefined
  return {
    name: "metric history: HistoryLive ingest, memory at the byte cap, 30-day query; anchors HistoryTest (raw arrays) and a raw file append",
    ingest: ingestFigures,
    memory,
    query
  }
}
