/**
 * One runtime's side of the HNSW benchmark: hnsw.bench.ts compiles this file
 * with `bun build --compile` (the runtime the sigmavault binary ships, with
 * the addon embedded as there) and bundles it for Node, then starts it as
 * `<worker> <job as JSON>`. It loads the index the bench process built and
 * saved (through HnswIndex.fromBytes, as MNEMONIC loads a snapshot), prints a
 * line `{"ready":…}`, then answers each stdin line `{"ef":n,"labels":bool}`
 * with one timed pass of the queries as a JSON line, until stdin ends.
 */
import { readFileSync } from "node:fs"
import { dirname } from "node:path"
import { createInterface } from "node:readline"
import { HnswIndex } from "../../src/memory/Hnsw.ts"
import { scratchFileIn } from "../../src/memory/internal/scratch.ts"
import { now, runtimeName } from "../support.ts"
import { searchPass, unwrap, type HnswBenchConfig } from "./hnsw-measure.ts"

export interface HnswWorkerJob {
  readonly config: HnswBenchConfig
  /** hnswlib's file, as HnswIndex.toBytes wrote it */
  readonly indexFile: string
  /** the queries, float32 little-endian, one after another */
  readonly queriesFile: string
}

/** Huge pages backing the process's anonymous memory (hnswlib's graph is one large malloc), from /proc. */
const anonHugePagesMB = () => {
  const line = readFileSync("/proc/self/smaps_rollup", "utf8").split("\n").find((l) => l.startsWith("AnonHugePages:"))
  return line === undefined ? null : Math.round(Number(line.split(/\s+/)[1]) / 1024)
}

const job = JSON.parse(process.argv[2] ?? "{}") as HnswWorkerJob
const { config } = job
const t0 = now()
const index = unwrap(
  HnswIndex.fromBytes(
    { ...config, ef: config.efs[0]!, initialCapacity: 0 },
    new Uint8Array(readFileSync(job.indexFile)),
    config.vectors,
    scratchFileIn(dirname(job.indexFile))
  ),
  "load"
)
const loadMs = now() - t0
const bytes = readFileSync(job.queriesFile)
const queries = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
const say = (message: unknown) => process.stdout.write(JSON.stringify(message) + "\n")

say({ ready: true, runtime: runtimeName(), loadMs: Math.round(loadMs), anonHugePagesMB: anonHugePagesMB() })
for await (const line of createInterface({ input: process.stdin })) {
  const { ef, labels } = JSON.parse(line) as { ef: number; labels: boolean }
  const pass = searchPass(index, queries, config.dimension, config.k, ef)
  say({ wallMs: pass.wallMs, cpuMs: pass.cpuMs, labels: labels ? Array.from(pass.labels) : undefined })
}
