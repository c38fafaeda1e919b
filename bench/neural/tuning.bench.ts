/**
 * NEURAL's level bandit: regret over N simulated compression jobs against the
 * fixed best level per class (the oracle, which knows the model) and against
 * TENSOR's fixed default levels (text 5, other 3), in the same run.
 *
 * Two environments, both with noise (machine speed σ 0.15 and file
 * compressibility σ 0.25, log-normal; test/support/tuningEnv.ts):
 * - "modelled": five content classes shaped on zstd's published figures and
 *   TENSOR's measurements (fixed, so runs compare across machines);
 * - "measured here": each class's throughput and ratio per level measured on
 *   this machine, with the real codec, on 4 MiB of generated logs, JSON lines,
 *   CSV and a binary-like mix (one 2 MiB block at a time, as TENSOR's blocks).
 *
 * Regret is in log2 units of MiB/s × ratio summed over jobs; per job, 2^-regret
 * is the share of the oracle's MiB/s × ratio kept (geometric mean). The
 * figures printed: kept vs oracle for the bandit and the defaults, the
 * bandit's regret as a ratio of the defaults', and the share of jobs that explored.
 */
import { Effect } from "effect"
import { DEFAULT_ARMS } from "../../src/actors/neural/bandit.ts"
import { compressBytes } from "../../src/compress/Codecs.ts"
import { bestLevel, CLASSES, type ClassModel, runBandit, seeded } from "../../test/support/tuningEnv.ts"
import { now, round } from "../support.ts"

const JOBS = Number(process.env.BENCH_NEURAL_JOBS ?? 20_000)
const SEEDS = [1, 2, 3, 4, 5]
const SHARES = [0.05, 0.1]
const CHECKPOINTS = [...new Set([1000, 5000, JOBS].filter((jobs) => jobs <= JOBS))]
const MiB = 1024 * 1024

const text = (lines: (i: number, random: () => number) => string, bytes: number, seed: number): Uint8Array => {
  const random = seeded(seed)
  const parts: Array<string> = []
  let size = 0
  for (let i = 0; size < bytes; i++) {
    const line = lines(i, random)
    parts.push(line)
    size += line.length + 1
  }
  return new TextEncoder().encode(parts.join("\n")).subarray(0, bytes)
}

const AGENTS = ["pulse", "tensor", "vault", "sentry", "atlas", "scribe", "orbit", "cipher"]
const EVENTS = ["scrub finished", "snapshot created", "client connected", "chunk stored", "disk temperature", "job queued", "retrying request"]
const pick = <T>(xs: ReadonlyArray<T>, random: () => number) => xs[Math.floor(random() * xs.length)]!

/** 4 MiB of each class, generated the same way every run. */
const samples = (): ReadonlyArray<readonly [string, number, Uint8Array]> => [
  ["log", 5, text((i, r) => `2026-12-07T08:${String(Math.floor(i / 60) % 60).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}Z ${pick(["INFO", "INFO", "WARN", "DEBUG"], r)} ${pick(AGENTS, r)}: ${pick(EVENTS, r)} id=${Math.floor(r() * 2 ** 24).toString(16)} took ${Math.floor(r() * 900)}ms`, 4 * MiB, 1)],
  ["json", 5, text((i, r) => JSON.stringify({ ts: 1_765_000_000 + i, agent: pick(AGENTS, r), event: pick(EVENTS, r), bytes: Math.floor(r() * 1e9), ok: r() > 0.1 }), 4 * MiB, 2)],
  ["csv", 5, text((i, r) => `${i},${pick(AGENTS, r)},${(r() * 100).toFixed(3)},${(r() * 1e6).toFixed(0)},${pick(EVENTS, r)}`, 4 * MiB, 3)],
  ["unknown", 3, (() => {
    // Binary-like: runs of small integers and repeated structures with random words among them.
    const random = seeded(4)
    const bytes = new Uint8Array(4 * MiB)
    for (let i = 0; i < bytes.length; i++) bytes[i] = random() < 0.35 ? Math.floor(random() * 256) : (i * 7 + (i >> 9)) & 0x3f
    return bytes
  })()]
]

/** Throughput (MiB/s) and ratio per level of DEFAULT_ARMS, measured here; other levels extrapolated flat (never chosen). */
const measureHere = async (): Promise<ReadonlyArray<ClassModel>> => {
  const models: Array<ClassModel> = []
  for (const [name, defaultLevel, data] of samples()) {
    const throughput: Array<number> = []
    const ratio: Array<number> = []
    for (let level = 1; level <= 9; level++) {
      const measured = DEFAULT_ARMS.includes(level) || level === defaultLevel
      if (!measured) {
        throughput.push(throughput[level - 2] ?? 1)
        ratio.push(ratio[level - 2] ?? 1)
        continue
      }
      let seconds = Infinity
      let out = 0
      for (let round = 0; round < 3; round++) {
        const t0 = now()
        let total = 0
        for (let at = 0; at < data.length; at += 2 * MiB) total += (await Effect.runPromise(compressBytes("zstd", level, data.subarray(at, at + 2 * MiB)))).byteLength
        seconds = Math.min(seconds, (now() - t0) / 1000)
        out = total
      }
      throughput.push(data.length / MiB / seconds)
      ratio.push(data.length / out)
    }
    models.push({ name, defaultLevel, weight: 1, throughput, ratio })
  }
  return models
}

const kept = (regretPerJob: number) => round(2 ** -regretPerJob, 4)

const evaluate = (classes: ReadonlyArray<ClassModel>) => {
  const rows = SHARES.map((share) => {
    const byCheckpoint = CHECKPOINTS.map((jobs) => {
      let regret = 0
      let defaultRegret = 0
      let explored = 0
      let worstShare = 0
      let learnedBest = 0
      for (const seed of SEEDS) {
        const run = runBandit({ on: true, share, arms: DEFAULT_ARMS }, jobs, seed, classes)
        regret += run.regret / jobs
        defaultRegret += run.defaultRegret / jobs
        explored += run.explored / jobs
        worstShare = Math.max(worstShare, run.worstShare)
        for (const model of classes) {
          const state = run.states.get(model.name)
          const learned = state?.arms.filter((arm) => arm.pulls >= 3).reduce((a, b) => (b.mean > a.mean ? b : a), state.arms[0]!)
          if (learned !== undefined && learned.level === bestLevel(model, DEFAULT_ARMS)) learnedBest++
        }
      }
      const n = SEEDS.length
      return {
        jobs,
        banditRegretPerJob: round(regret / n, 4),
        defaultRegretPerJob: round(defaultRegret / n, 4),
        /** MiB/s × ratio kept, as a share of the oracle's (geometric mean over jobs). */
        banditKeptVsOracle: kept(regret / n),
        defaultKeptVsOracle: kept(defaultRegret / n),
        /** The bandit's MiB/s × ratio over the defaults'. */
        banditOverDefault: round(2 ** ((defaultRegret - regret) / n), 4),
        /** Bandit regret / default regret: below 1, the bandit loses less. */
        regretRatio: defaultRegret === 0 ? null : round(regret / defaultRegret, 4),
        exploredShare: round(explored / n, 4),
        worstExploredShareAnyPrefix: round(worstShare, 4),
        classesWithBestLevelLearned: `${learnedBest}/${classes.length * n}`
      }
    })
    return { explorePercent: share * 100, checkpoints: byCheckpoint }
  })
  return {
    classes: classes.map((model) => ({
      class: model.name,
      defaultLevel: model.defaultLevel,
      bestLevel: bestLevel(model, DEFAULT_ARMS),
      levels: DEFAULT_ARMS.map((level) => ({ level, mibPerSecond: round(model.throughput[level - 1]!, 1), ratio: round(model.ratio[level - 1]!, 3) }))
    })),
    runs: rows
  }
}

export const neural = async () => {
  const modelled = evaluate(CLASSES)
  const measured = evaluate(await measureHere())
  const last = (result: ReturnType<typeof evaluate>) => result.runs[0]!.checkpoints[result.runs[0]!.checkpoints.length - 1]!
  const summary = (name: string, result: ReturnType<typeof evaluate>) => {
    const row = last(result)
    return `${name}: after ${row.jobs} jobs at 5% exploration the bandit keeps ${(row.banditKeptVsOracle * 100).toFixed(1)}% of the oracle's MiB/s×ratio ` +
      `(defaults ${(row.defaultKeptVsOracle * 100).toFixed(1)}%), ${row.banditOverDefault}× the defaults; regret ratio bandit/defaults ${row.regretRatio}`
  }
  process.stderr.write(`${summary("modelled", modelled)}\n${summary("measured here", measured)}\n`)
  return {
    jobs: JOBS,
    seeds: SEEDS.length,
    arms: DEFAULT_ARMS,
    anchor: "the oracle (fixed best level per class) and TENSOR's fixed defaults (text 5, other 3), same jobs, same noise",
    reward: "log2(MiB/s × ratio) per job",
    modelled,
    measuredHere: measured,
    summary: [summary("modelled", modelled), summary("measured here", measured)]
  }
}
