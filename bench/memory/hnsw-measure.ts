/**
 * The measurement behind the HNSW benchmark. `buildHnsw` runs under Bun (in
 * the bench process): the dataset, the anchor (an exact brute-force scan over
 * the same vectors, which also gives the true top-k for recall), the build and
 * its memory. `searchPass` is one timed pass of the queries, run by the bench
 * process and by each worker (hnsw-worker.ts) on the same saved index.
 *
 * The data are Gaussian clusters, not uniform noise: in uniform 128-d noise
 * every point is almost equally far from every other, a case no embedding
 * presents, so its recall would say little about MNEMONIC's.
 * Centres are N(0, I); a vector is a random centre plus `spread` * N(0, I);
 * queries are fresh draws from the same mixture, never indexed vectors.
 */
import { loadavg } from "node:os"
import { Result } from "effect"
import { HnswIndex, type ScratchFile, type Space } from "../../src/memory/Hnsw.ts"
import { collectGarbage, now, round, runtimeName } from "../support.ts"

export interface HnswBenchConfig {
  readonly vectors: number
  readonly dimension: number
  readonly queries: number
  readonly clusters: number
  /** Noise around a centre, relative to the spread of the centres (both Gaussian). */
  readonly spread: number
  readonly space: Space
  readonly m: number
  readonly efConstruction: number
  /** The search breadths measured, each for QPS and recall. */
  readonly efs: ReadonlyArray<number>
  readonly k: number
  /** Timed passes of the query set per ef and runtime, alternating between runtimes; the median is reported. */
  readonly rounds: number
  readonly seed: number
}

const numberFrom = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${process.env[name]}`)
  return value
}

/** BENCH_HNSW_* scale or retune the run, e.g. BENCH_HNSW_VECTORS=20000 BENCH_HNSW_EF=32,64. */
export const configFromEnv = (): HnswBenchConfig => ({
  vectors: numberFrom("BENCH_HNSW_VECTORS", 100_000),
  dimension: 128,
  queries: numberFrom("BENCH_HNSW_QUERIES", 1_000),
  clusters: numberFrom("BENCH_HNSW_CLUSTERS", 100),
  spread: numberFrom("BENCH_HNSW_SPREAD", 1),
  space: "cosine",
  m: numberFrom("BENCH_HNSW_M", 16),
  efConstruction: numberFrom("BENCH_HNSW_EFC", 200),
  efs: (process.env.BENCH_HNSW_EF ?? "40,44,48,64").split(",").map((ef) => {
    const value = Number(ef)
    if (!Number.isInteger(value) || value <= 0) throw new Error(`BENCH_HNSW_EF must list positive integers, got ${ef}`)
    return value
  }),
  k: 10,
  rounds: 5,
  seed: 20_240_611
})

/** mulberry32, the seeded source the unit tests use too. */
const seeded = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** Box–Muller over the seeded source. */
const gaussian = (random: () => number) => () => {
  const u = 1 - random() // (0, 1]: log stays finite
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random())
}

interface Dataset {
  /** Unit vectors, one after another: cosine compares directions, and the exact scan needs only dot products. */
  readonly vectors: Float32Array
  readonly queries: Float32Array
}

const normaliseInPlace = (vectors: Float32Array, dimension: number) => {
  for (let i = 0; i < vectors.length; i += dimension) {
    let squares = 0
    for (let j = 0; j < dimension; j++) squares += vectors[i + j]! ** 2
    const scale = 1 / Math.sqrt(squares)
    for (let j = 0; j < dimension; j++) vectors[i + j]! *= scale
  }
  return vectors
}

const clusteredDataset = (config: HnswBenchConfig): Dataset => {
  const { dimension: d } = config
  const normal = gaussian(seeded(config.seed))
  const centres = Float32Array.from({ length: config.clusters * d }, normal)
  const draw = (count: number, pick: () => number) => {
    const out = new Float32Array(count * d)
    for (let i = 0; i < count; i++) {
      const c = Math.floor(pick() * config.clusters) * d
      for (let j = 0; j < d; j++) out[i * d + j] = centres[c + j]! + config.spread * normal()
    }
    return normaliseInPlace(out, d)
  }
  const pick = seeded(config.seed + 1)
  return { vectors: draw(config.vectors, pick), queries: draw(config.queries, pick) }
}

/**
 * The anchor: an exact scan, one query after another, in a tight
 * Float32Array loop (four running sums, which doubles its speed in both
 * runtimes over one). Vectors are unit length, so the closest are the largest
 * dot products. Returns the labels of each query's top k, closest first.
 */
const bruteForce = (vectors: Float32Array, queries: Float32Array, dimension: number, k: number) => {
  const count = vectors.length / dimension
  const queryCount = queries.length / dimension
  const labels = new Int32Array(queryCount * k)
  const best = new Float64Array(k)
  const bestLabel = new Int32Array(k)
  const query = new Float64Array(dimension)
  const blocked = dimension - (dimension % 4)
  for (let q = 0; q < queryCount; q++) {
    query.set(queries.subarray(q * dimension, (q + 1) * dimension))
    best.fill(-Infinity)
    bestLabel.fill(-1)
    for (let v = 0, o = 0; v < count; v++, o += dimension) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0
      for (let j = 0; j < blocked; j += 4) {
        s0 += vectors[o + j]! * query[j]!
        s1 += vectors[o + j + 1]! * query[j + 1]!
        s2 += vectors[o + j + 2]! * query[j + 2]!
        s3 += vectors[o + j + 3]! * query[j + 3]!
      }
      for (let j = blocked; j < dimension; j++) s0 += vectors[o + j]! * query[j]!
      const dot = s0 + s1 + s2 + s3
      if (dot <= best[k - 1]!) continue
      let at = k - 1
      while (at > 0 && best[at - 1]! < dot) {
        best[at] = best[at - 1]!
        bestLabel[at] = bestLabel[at - 1]!
        at--
      }
      best[at] = dot
      bestLabel[at] = v
    }
    labels.set(bestLabel, q * k)
  }
  return labels
}

export const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export const unwrap = <A, E>(result: Result.Result<A, E>, what: string): A => {
  if (Result.isFailure(result)) throw new Error(`${what}: ${String(result.failure)}`)
  return result.success
}

/** FNV-1a over the bytes of the dataset: equal in both runtimes when they measured the same data. */
const fingerprint = (...arrays: ReadonlyArray<Float32Array>) => {
  let h = 0x811c9dc5
  for (const array of arrays) {
    const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength)
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193)
  }
  return (h >>> 0).toString(16).padStart(8, "0")
}

const rssMB = () => {
  collectGarbage()
  collectGarbage()
  return process.memoryUsage().rss / 2 ** 20
}

/** CPU time of the whole process (every thread: a runtime's GC and JIT threads count against it), in ms. */
export const cpuMs = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

export const recallOf = (answers: Int32Array, truth: Int32Array, k: number) => {
  let hits = 0
  for (let q = 0; q < truth.length / k; q++) {
    const wanted = new Set(truth.subarray(q * k, (q + 1) * k))
    for (let i = q * k; i < (q + 1) * k; i++) if (wanted.has(answers[i]!)) hits++
  }
  return round(hits / truth.length, 4)
}

/**
 * One pass of every query through HnswIndex.search, one after another, at
 * `ef`. Returns wall and CPU time, and the labels found (k per query, -1 for
 * none) for the recall.
 */
export const searchPass = (index: HnswIndex, queries: Float32Array, dimension: number, k: number, ef: number) => {
  index.setEf(ef)
  const count = queries.length / dimension
  const labels = new Int32Array(count * k).fill(-1)
  const rows = Array.from({ length: count }, (_, q) => queries.subarray(q * dimension, (q + 1) * dimension))
  const cpu0 = cpuMs()
  const wall0 = now()
  for (let q = 0; q < count; q++) {
    const found = unwrap(index.search(rows[q]!, k), "search")
    for (let i = 0; i < found.length; i++) labels[q * k + i] = found[i]!.label
  }
  const wallMs = now() - wall0
  return { wallMs, cpuMs: cpuMs() - cpu0, labels }
}

export const buildHnsw = (config: HnswBenchConfig, scratch: ScratchFile) => {
  const { dimension: d, k } = config
  const loadAverage1m = round(loadavg()[0]!, 2)
  const t0 = now()
  const data = clusteredDataset(config)
  const datasetMs = now() - t0

  // Anchor and ground truth in one pass: the scan of every query is both.
  let t = now()
  const truth = bruteForce(data.vectors, data.queries, d, k)
  const bruteForceMs = now() - t
  const bruteForceQps = config.queries / bruteForceMs * 1000

  // Nothing may be left dead here: a runtime would free it during the build and hide
  // that much of the index (a draft with normalised copies of the data lost 51 MB so).
  const rssBefore = rssMB()
  const index = HnswIndex.create({
    space: config.space,
    dimension: d,
    m: config.m,
    efConstruction: config.efConstruction,
    ef: config.efs[0]!,
    seed: config.seed,
    initialCapacity: config.vectors
  })
  t = now()
  for (let i = 0; i < config.vectors; i++) unwrap(index.add(i, data.vectors.subarray(i * d, (i + 1) * d), true), "add")
  const buildMs = now() - t
  if (index.size !== config.vectors) throw new Error(`the index holds ${index.size} vectors, expected ${config.vectors}`)
  const rssAfter = rssMB()
  t = now()
  const serialized = unwrap(index.toBytes(scratch), "toBytes")
  const saveMs = now() - t

  const perHundredThousand = 100_000 / config.vectors
  return {
    index,
    serialized,
    queries: data.queries,
    truth,
    figures: {
      runtime: runtimeName(),
      loadAverage1m,
      dataset: {
        vectors: config.vectors,
        dimension: d,
        queries: config.queries,
        kind: `${config.clusters} Gaussian clusters, centres N(0, I), noise ${config.spread} x N(0, I); queries drawn from the same mixture`,
        seed: config.seed,
        fingerprint: fingerprint(data.vectors, data.queries),
        generateMs: Math.round(datasetMs)
      },
      index: { space: config.space, m: config.m, efConstruction: config.efConstruction },
      build: {
        seconds: round(buildMs / 1000, 2),
        vectorsPerSec: Math.round(config.vectors / buildMs * 1000),
        saveMs: Math.round(saveMs)
      },
      anchor: {
        name: "exact brute-force scan (Float32Array dot products, top-10 insertion), under Bun",
        queries: config.queries,
        qps: round(bruteForceQps, 1),
        seconds: round(bruteForceMs / 1000, 2)
      },
      memory: {
        rssDeltaMBPer100k: round((rssAfter - rssBefore) * perHundredThousand, 1),
        serializedMBPer100k: round(serialized.byteLength / 2 ** 20 * perHundredThousand, 1),
        serializedBytes: serialized.byteLength,
        rawVectorsMBPer100k: round(config.vectors * d * 4 / 2 ** 20 * perHundredThousand, 1),
        serializedVsRawVectors: round(serialized.byteLength / (config.vectors * d * 4), 2)
      }
    }
  }
}

export type HnswBuild = ReturnType<typeof buildHnsw>

/** The goal of the issue: recall@10 >= 0.95 at >= 5,000 single-thread QPS, at some measured ef, in the compiled binary. */
export const GOAL = { recall: 0.95, qps: 5_000 } as const
