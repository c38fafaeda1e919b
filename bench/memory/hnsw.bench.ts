/**
 * MNEMONIC's HNSW index (src/memory/Hnsw.ts over hnswlib-node 3.0.0) on
 * 100k 128-d vectors: build rate, single-thread QPS and recall@10 at several
 * ef, memory; next to an exact brute-force scan over the same vectors (see
 * hnsw-measure.ts).
 *
 * The goal is judged in the runtime users run: the compiled binary. The index
 * is built once, here under Bun, and saved; hnsw-worker.ts is compiled with
 * the release build's flags (`bun build --compile --bytecode --minify`, the
 * addon embedded by its literal path as in sigmavault) and bundled for Node as
 * the reference (`bun build --target=node`: Node 20 cannot run .ts); each
 * loads the saved index. The search passes then alternate between the
 * runtimes, one at a time (each waits for the other's pass), so a change in
 * the machine's load falls on all of them alike: this machine is shared, and
 * runs one after another minutes apart differed by 2x.
 *
 * Each pass is timed by the wall clock and by the process's CPU time: on a
 * machine busier than its cores the wall clock measures the share of a core
 * the scheduler gave, and the CPU time is the code's own cost (it counts
 * every thread of the process, the runtime's GC too).
 *
 * `compiledHugePages` is the compiled binary again with
 * GLIBC_TUNABLES=glibc.malloc.hugetlb=1, which makes glibc's malloc ask for
 * transparent huge pages (THP is `madvise` on Debian): the graph and vectors
 * are one ~65 MB allocation read at random, where 4 KiB pages miss the TLB.
 */
import { spawn, spawnSync, type ChildProcessByStdio } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { cpus, loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import type { Readable, Writable } from "node:stream"
import { scratchFileIn } from "../../src/memory/internal/scratch.ts"
import { round } from "../support.ts"
import { buildHnsw, configFromEnv, GOAL, median, recallOf, searchPass, type HnswBenchConfig } from "./hnsw-measure.ts"
import type { HnswWorkerJob } from "./hnsw-worker.ts"

const root = join(import.meta.dirname, "..", "..")
const bun = join(root, "node_modules", ".bin", "bun")
const workerSource = join(import.meta.dirname, "hnsw-worker.ts")
/** The Node of the reference run; BENCH_NODE names another. */
const NODE = process.env.BENCH_NODE ?? "node"

const buildWith = (args: ReadonlyArray<string>, what: string) => {
  const build = spawnSync(bun, ["build", ...args], { cwd: root, encoding: "utf8" })
  if (build.status !== 0) {
    const why = `${build.error?.message ?? ""}${build.stdout ?? ""}${build.stderr ?? ""}`.trim().split("\n").slice(-3).join(" | ")
    throw new Error(`${what} of bench/memory/hnsw-worker.ts failed: ${why}`)
  }
}

/** The worker as the release binary is built (tools/build.ts), for this machine. */
const compileWorker = (dir: string) => {
  const out = join(dir, "hnsw-worker")
  buildWith(["--compile", "--format=esm", "--bytecode", "--minify", "--keep-names", "--outfile", out, workerSource], "compiling")
  return out
}

/** The worker for Node: Bun copies the addon next to the bundle and points Hnsw.ts's literal require at it. */
const bundleWorkerForNode = (dir: string) => {
  const out = join(dir, "node")
  buildWith(["--target=node", workerSource, "--outdir", out, "--entry-naming", "[name].mjs"], "bundling for Node")
  return join(out, "hnsw-worker.mjs")
}

interface Pass {
  readonly wallMs: number
  readonly cpuMs: number
  readonly labels?: ReadonlyArray<number> | undefined
}

interface Runtime {
  readonly name: string
  readonly ready: { readonly runtime: string; readonly loadMs?: number; readonly anonHugePagesMB?: number | null }
  readonly pass: (ef: number, labels: boolean) => Promise<Pass>
  readonly close: () => void
}

/** Starts a worker and waits for its `ready` line; each pass is one request line and one answer line. */
const startWorker = async (
  name: string,
  command: string,
  args: ReadonlyArray<string>,
  job: HnswWorkerJob,
  env: NodeJS.ProcessEnv = process.env
): Promise<Runtime> => {
  const child: ChildProcessByStdio<Writable, Readable, Readable> = spawn(command, [...args, JSON.stringify(job)], {
    cwd: root,
    env,
    stdio: ["pipe", "pipe", "pipe"]
  })
  let stderr = ""
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const ended = new Promise<never>((_, reject) => {
    const fail = (why: string) => reject(new Error(`the ${name} worker ${why}: ${stderr.trim().split("\n").slice(-3).join(" | ")}`))
    child.once("error", (error) => fail(`did not start (${error.message})`))
    child.once("close", (code, signal) => fail(`ended with ${code ?? signal}`))
  })
  ended.catch(() => {}) // raced below; a worker closed after the bench is done is not a failure
  const next = async () => {
    const line = await Promise.race([lines.next(), ended])
    if (line.done === true) return Promise.race([ended, new Promise<never>(() => {})])
    return JSON.parse(line.value) as unknown
  }
  const { ready: _ready, ...ready } = (await next()) as Runtime["ready"] & { ready: true }
  return {
    name,
    ready,
    pass: async (ef, labels) => {
      child.stdin.write(JSON.stringify({ ef, labels }) + "\n")
      return (await next()) as Pass
    },
    close: () => child.stdin.end()
  }
}

export const hnsw = async () => {
  const config: HnswBenchConfig = configFromEnv()
  const work = mkdtempSync(join(tmpdir(), "sigmavault-bench-hnsw-"))
  const workers: Array<Runtime> = []
  try {
    const built = buildHnsw(config, scratchFileIn(work))
    const job: HnswWorkerJob = { config, indexFile: join(work, "index.hnsw"), queriesFile: join(work, "queries.f32") }
    writeFileSync(job.indexFile, built.serialized)
    writeFileSync(job.queriesFile, new Uint8Array(built.queries.buffer, built.queries.byteOffset, built.queries.byteLength))

    const compiled = compileWorker(work)
    workers.push(await startWorker("compiled", compiled, [], job))
    workers.push(
      await startWorker("compiledHugePages", compiled, [], job, { ...process.env, GLIBC_TUNABLES: "glibc.malloc.hugetlb=1" })
    )
    workers.push(await startWorker("node", NODE, [bundleWorkerForNode(work)], job))
    const inProcess: Runtime = {
      name: "bun",
      ready: { runtime: built.figures.runtime },
      pass: async (ef, labels) => {
        const pass = searchPass(built.index, built.queries, config.dimension, config.k, ef)
        return { wallMs: pass.wallMs, cpuMs: pass.cpuMs, labels: labels ? Array.from(pass.labels) : undefined }
      },
      close: () => {}
    }
    const runtimes = [workers[0]!, workers[1]!, inProcess, workers[2]!]

    const loadAtStart = round(loadavg()[0]!, 2)
    const recall = new Map<string, number>()
    const timings = new Map<string, { wall: Array<number>; cpu: Array<number> }>()
    for (const ef of config.efs) {
      for (const runtime of runtimes) {
        const warm = await runtime.pass(ef, true) // warm-up, and the recall
        recall.set(`${runtime.name}/${ef}`, recallOf(Int32Array.from(warm.labels ?? []), built.truth, config.k))
        timings.set(`${runtime.name}/${ef}`, { wall: [], cpu: [] })
      }
    }
    for (let r = 0; r < config.rounds; r++) {
      for (const ef of config.efs) {
        for (const runtime of runtimes) {
          const pass = await runtime.pass(ef, false)
          const t = timings.get(`${runtime.name}/${ef}`)!
          t.wall.push(config.queries / pass.wallMs * 1000)
          t.cpu.push(config.queries / pass.cpuMs * 1000)
        }
      }
    }
    const loadAtEnd = round(loadavg()[0]!, 2)

    const anchorQps = built.figures.anchor.qps
    const searchesOf = (name: string) =>
      config.efs.map((ef) => {
        const t = timings.get(`${name}/${ef}`)!
        const qps = median(t.wall)
        return {
          ef,
          recallAt10: recall.get(`${name}/${ef}`)!,
          qps: Math.round(qps),
          cpuQps: Math.round(median(t.cpu)),
          meanLatencyUs: round(1e6 / qps, 1),
          speedupVsBruteForce: round(qps / anchorQps, 1)
        }
      })
    const perRuntime = Object.fromEntries(runtimes.map((rt) => [rt.name, { ...rt.ready, searches: searchesOf(rt.name) }]))
    const ratio = (a: string, b: string, field: "qps" | "cpuQps") =>
      Object.fromEntries(config.efs.map((ef, i) => [`ef${ef}`, round(perRuntime[a]!.searches[i]![field] / perRuntime[b]!.searches[i]![field], 2)]))
    const meets = (field: "qps" | "cpuQps") =>
      perRuntime.compiled!.searches.filter((s) => s.recallAt10 >= GOAL.recall && s[field] >= GOAL.qps).map((s) => s.ef)
    const { runtime: _runtime, loadAverage1m: _load, ...shared } = built.figures
    const cores = cpus().length
    return {
      name: `HNSW via src/memory/Hnsw.ts (hnswlib-node 3.0.0): ${config.vectors} x ${config.dimension}-d ${config.space}, ` +
        `M=${config.m}, efConstruction=${config.efConstruction}, vs exact brute force`,
      ...shared,
      build: { runtime: built.figures.runtime, ...built.figures.build },
      machine: { cores, loadAverage1m: { beforeBuild: built.figures.loadAverage1m, searchStart: loadAtStart, searchEnd: loadAtEnd } },
      runtimes: perRuntime,
      ratios: {
        compiledVsNode: ratio("compiled", "node", "qps"),
        compiledVsNodeCpu: ratio("compiled", "node", "cpuQps"),
        hugePagesVsCompiled: ratio("compiledHugePages", "compiled", "qps"),
        hugePagesVsCompiledCpu: ratio("compiledHugePages", "compiled", "cpuQps")
      },
      goal: {
        text: `recall@10 >= ${GOAL.recall} at >= ${GOAL.qps} queries/s, one query after another on one thread, ` +
          "in the compiled binary (runtimes.compiled)",
        met: meets("qps").length > 0,
        metAtEf: meets("qps"),
        metOnCpuTime: meets("cpuQps").length > 0,
        metOnCpuTimeAtEf: meets("cpuQps"),
        wallClockTrustworthy: Math.max(loadAtStart, loadAtEnd) < cores
      },
      note: "qps: median wall-clock rate of " + `${config.rounds} passes over the ${config.queries} queries (k=10) per runtime and ef, ` +
        "the runtimes taking turns, after a warm-up pass that also gives the recall; cpuQps: the same passes by process CPU time. " +
        "When the load average exceeds the cores (wallClockTrustworthy false), qps is the scheduler's share, not the code's speed. " +
        "Single-query latency is 1/qps; nothing here runs queries in parallel. " +
        "Recall@10 is against the exact top 10 of the brute-force scan, which is also the anchor (all queries timed, under Bun). " +
        "RSS delta: resident memory after minus before the build, each after a full GC; the serialized size is hnswlib's file from toBytes."
    }
  } finally {
    for (const worker of workers) worker.close()
    rmSync(work, { recursive: true, force: true })
  }
}
