/**
 * A simulated workload for NEURAL's level bandit (tests and bench/neural):
 * content classes whose zstd levels 1–9 have a known throughput (MiB/s on
 * this NAS's kind of core) and ratio, shaped on zstd's published figures
 * (silesia: level 1 ≈ 510 MB/s at 2.9, level 3 ≈ 330 MB/s at 3.1, level 9 ≈
 * 80 MB/s at 3.4) and on TENSOR's own measurements of logs and JSON (ratios
 * 5–13, a knee where zstd's match finder starts to pay). Each job draws a
 * file (its compressibility varies: one factor on the ratio for every level)
 * and a machine state (load: one factor on throughput), both log-normal, so
 * the best level is known but each outcome is noisy.
 */
import { type BanditSettings, choose, type ClassState, emptyClass, observe, reward } from "../../src/actors/neural/bandit.ts"

export interface LevelModel {
  /** MiB/s for levels 1–9. */
  readonly throughput: ReadonlyArray<number>
  /** bytes in / bytes out for levels 1–9. */
  readonly ratio: ReadonlyArray<number>
}

export interface ClassModel extends LevelModel {
  readonly name: string
  /** TENSOR's strategy-table level for it (text 5, other binaries 3). */
  readonly defaultLevel: number
  /** Its share of the jobs. */
  readonly weight: number
}

export const CLASSES: ReadonlyArray<ClassModel> = [
  {
    name: "log",
    defaultLevel: 5,
    weight: 0.35,
    throughput: [520, 470, 400, 370, 230, 180, 150, 130, 110],
    ratio: [8.0, 9.6, 10.9, 11.2, 12.1, 12.4, 12.8, 13.0, 13.2]
  },
  {
    name: "json",
    defaultLevel: 5,
    weight: 0.25,
    throughput: [450, 400, 350, 330, 210, 170, 140, 120, 100],
    ratio: [5.0, 5.9, 7.2, 7.4, 8.0, 8.2, 8.5, 8.6, 8.7]
  },
  {
    name: "csv",
    defaultLevel: 5,
    weight: 0.1,
    throughput: [400, 360, 320, 300, 260, 170, 140, 120, 100],
    ratio: [3.6, 4.0, 4.4, 4.9, 6.4, 6.6, 6.8, 6.9, 7.0]
  },
  {
    name: "elf",
    defaultLevel: 3,
    weight: 0.15,
    throughput: [500, 430, 350, 320, 200, 160, 130, 110, 95],
    ratio: [2.9, 3.0, 3.15, 3.18, 3.27, 3.31, 3.38, 3.41, 3.45]
  },
  {
    name: "unknown",
    defaultLevel: 3,
    weight: 0.15,
    throughput: [480, 420, 340, 310, 190, 150, 120, 105, 90],
    ratio: [2.0, 2.3, 2.5, 2.55, 2.6, 2.62, 2.65, 2.67, 2.7]
  }
]

/** The noise-free reward of a level (the expected value of `reward` for it, log2 units). */
export const expectedReward = (model: LevelModel, level: number): number =>
  Math.log2(model.throughput[level - 1]!) + Math.log2(model.ratio[level - 1]!)

export const bestLevel = (model: LevelModel, levels: ReadonlyArray<number>): number =>
  levels.reduce((best, level) => expectedReward(model, level) > expectedReward(model, best) ? level : best)

/** A seeded uniform generator (mulberry32). */
export const seeded = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A standard normal draw (Box–Muller). */
export const normal = (random: () => number): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())

export interface Noise {
  /** Log-normal σ of the machine's speed (load, cache state). */
  readonly throughput: number
  /** Log-normal σ of a file's compressibility. */
  readonly ratio: number
}

export const DEFAULT_NOISE: Noise = { throughput: 0.15, ratio: 0.25 }

/** One job of `model` at `level`: the bytes and seconds TENSOR would report. */
export const simulateJob = (model: LevelModel, level: number, random: () => number, noise: Noise = DEFAULT_NOISE) => {
  const bytesIn = Math.round(2 ** (24 + normal(random))) + 1024 * 1024 // a log-normal size around 16 MiB, at least 1 MiB
  const throughput = model.throughput[level - 1]! * Math.exp(noise.throughput * normal(random))
  const ratio = model.ratio[level - 1]! * Math.exp(noise.ratio * normal(random))
  const bytesOut = Math.max(1, Math.round(bytesIn / ratio))
  const seconds = bytesIn / (throughput * 1024 * 1024)
  return { bytesIn, bytesOut, seconds, reward: reward(bytesIn, bytesOut, seconds)! }
}

/** A class drawn by weight. */
export const drawClass = (random: () => number, classes: ReadonlyArray<ClassModel> = CLASSES): ClassModel => {
  let u = random() * classes.reduce((sum, c) => sum + c.weight, 0)
  for (const c of classes) {
    u -= c.weight
    if (u < 0) return c
  }
  return classes[classes.length - 1]!
}

export interface Run {
  readonly states: ReadonlyMap<string, ClassState>
  /** Σ over jobs of (best level's expected reward − the chosen level's), log2 units. */
  readonly regret: number
  /** The same for always choosing the class's default level. */
  readonly defaultRegret: number
  readonly jobs: number
  readonly explored: number
  /** The largest explored/decisions seen in any class after each of its decisions. */
  readonly worstShare: number
  /** Levels chosen, in order (for assertions on the allowed set). */
  readonly levels: ReadonlyArray<number>
}

/** Runs the bandit over `jobs` simulated jobs: choose, simulate, observe — what NEURAL and TENSOR do. */
export const runBandit = (
  settings: BanditSettings,
  jobs: number,
  seed: number,
  classes: ReadonlyArray<ClassModel> = CLASSES,
  noise: Noise = DEFAULT_NOISE
): Run => {
  const random = seeded(seed)
  const states = new Map<string, ClassState>()
  let regret = 0
  let defaultRegret = 0
  let explored = 0
  let worstShare = 0
  const levels: Array<number> = []
  for (let job = 0; job < jobs; job++) {
    const model = drawClass(random, classes)
    const before = states.get(model.name) ?? emptyClass(model.name, model.defaultLevel, settings.arms, 0)
    const { choice, state } = choose(before, settings, random, true)
    levels.push(choice.level)
    if (choice.explored) explored++
    worstShare = Math.max(worstShare, state.explored / state.decisions)
    const best = expectedReward(model, bestLevel(model, settings.arms))
    regret += best - expectedReward(model, choice.level)
    defaultRegret += best - expectedReward(model, model.defaultLevel)
    const measured = simulateJob(model, choice.level, random, noise)
    states.set(model.name, observe(state, { level: choice.level, ...measured }, job).state)
  }
  return { states, regret, defaultRegret, jobs, explored, worstShare, levels }
}
