/**
 * MNEMONIC's HNSW index (src/memory/Hnsw.ts over hnswlib-node 3.0.0) on
 * 100k 128-d vectors: build rate, single-thread QPS and recall@10 at several
 * ef, memory; every figure next to an exact brute-force scan over the same
 * vectors in the same process (see hnsw-measure.ts).
 *
 * The goal is stated for Node, and `npm run bench` runs under Bun, so the
 * measurement runs twice: here, and in a Node child. Node 20 cannot run .ts,
 * so hnsw-node.ts is bundled by `bun build --target=node` into
 * node_modules/.cache/sigmavault-bench/hnsw/: Bun copies the hnswlib addon
 * next to the bundle and points Hnsw.ts's literal require at the copy. The
 * two runs are sequential so that neither steals the other's core.
 */
import { spawn, spawnSync } from "node:child_process"
import { rmSync } from "node:fs"
import { join } from "node:path"
import { round } from "../support.ts"
import { configFromEnv, GOAL, measureHnsw, type HnswBenchConfig, type HnswFigures } from "./hnsw-measure.ts"

const root = join(import.meta.dirname, "..", "..")
const bundleDir = join(root, "node_modules", ".cache", "sigmavault-bench", "hnsw")
/** The Node that measures the goal; BENCH_NODE names another. */
const NODE = process.env.BENCH_NODE ?? "node"

/** Writes the Node bundle (about 0.2 s); returns its path. */
const bundleForNode = () => {
  rmSync(bundleDir, { recursive: true, force: true }) // no stale addon copies under old hashes
  const build = spawnSync(
    join(root, "node_modules", ".bin", "bun"),
    ["build", "--target=node", join(import.meta.dirname, "hnsw-node.ts"), "--outdir", bundleDir, "--entry-naming", "[name].mjs"],
    { cwd: root, encoding: "utf8" }
  )
  if (build.status !== 0) {
    const why = `${build.error?.message ?? ""}${build.stdout ?? ""}${build.stderr ?? ""}`.trim().split("\n").slice(-3).join(" | ")
    throw new Error(`bundling bench/memory/hnsw-node.ts for Node failed: ${why}`)
  }
  return join(bundleDir, "hnsw-node.mjs")
}

/** `--expose-gc` lets support.ts collect garbage before each RSS reading, as Bun always can. */
const runUnderNode = (bundle: string, config: HnswBenchConfig) =>
  new Promise<HnswFigures>((resolve, reject) => {
    const child = spawn(NODE, ["--expose-gc", bundle, JSON.stringify(config)], { cwd: root, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    child.once("error", reject)
    child.once("close", (code, signal) => {
      if (code === 0) resolve(JSON.parse(stdout) as HnswFigures)
      else reject(new Error(`the Node run (${NODE}) ended with ${code ?? signal}: ${stderr.trim().split("\n").slice(-3).join(" | ")}`))
    })
  })

/** The figures of one runtime, without the dataset and index settings both share. */
const perRuntime = ({ dataset: _dataset, index: _index, ...rest }: HnswFigures) => rest

export const hnsw = async () => {
  const config = configFromEnv()
  const bun = measureHnsw(config)
  const node = await runUnderNode(bundleForNode(), config)
  const meeting = node.searches.filter((s) => s.recallAt10 >= GOAL.recall && s.qps >= GOAL.qps)
  const qpsRatio = Object.fromEntries(bun.searches.map((s, i) => [`ef${s.ef}`, round(node.searches[i]!.qps / s.qps, 2)]))
  return {
    name: `HNSW via src/memory/Hnsw.ts (hnswlib-node 3.0.0): ${config.vectors} x ${config.dimension}-d ${config.space}, ` +
      `M=${config.m}, efConstruction=${config.efConstruction}, vs exact brute force`,
    dataset: bun.dataset,
    sameDataInBothRuntimes: bun.dataset.fingerprint === node.dataset.fingerprint,
    index: bun.index,
    bun: perRuntime(bun),
    node: perRuntime(node),
    nodeVsBun: { build: round(node.build.vectorsPerSec / bun.build.vectorsPerSec, 2), qps: qpsRatio },
    goal: {
      text: `recall@10 >= ${GOAL.recall} at >= ${GOAL.qps} queries/s on one core, under Node`,
      met: meeting.length > 0,
      metAtEf: meeting.map((s) => s.ef)
    },
    note: "QPS: queries one after another through HnswIndex.search (k=10), median of " +
      `${config.rounds} passes over the ${config.queries} queries after a warm-up pass that also gives the recall. ` +
      "Recall@10 is against the exact top 10 of the brute-force scan, which is also the anchor (all queries timed). " +
      "RSS delta: resident memory after minus before the build, each after a full GC (hnswlib's graph and vectors, " +
      "its per-element locks and label map, allocator slack); the serialized size is hnswlib's file from toBytes. " +
      "loadAverage1m shows how busy the machine was when each run started."
  }
}
