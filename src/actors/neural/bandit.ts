/**
 * The bandit that tunes TENSOR's zstd level per content class (docs/tuning.md).
 * Pure data and pure functions: the agent keeps the table, persists it in
 * MNEMONIC and hands in the random numbers, so the tests and the bench run the
 * very code the daemon runs.
 *
 * Algorithm: ε-greedy with a decaying ε, a hard exploration budget and
 * exploration restricted to arms that could still be best.
 *
 * - Exploit: the level with the best mean reward among levels tried at least
 *   `MIN_PULLS` times; before any has, the caller's fixed default. So a fresh
 *   table behaves exactly like TENSOR without tuning.
 * - Explore: with probability ε(t) = share × max(FLOOR, min(1, √(T0 / t)))
 *   (t: the class's decisions; T0: the decisions it takes to try every arm
 *   WARM_PULLS times at the full share), and only while the class's explored
 *   decisions stay within `share` of its decisions (checked before each
 *   exploring pick, so the bound holds at every prefix, not just on average).
 *   The explored level is the least-tried one among the arms whose upper
 *   confidence bound still reaches the best arm's lower bound: arms shown to
 *   be worse are no longer paid for.
 * - Means forget slowly: past CAP pulls an arm's mean is an exponentially
 *   weighted average (weight 1/CAP), so a changed machine or workload is
 *   learned again; the floor on ε keeps re-checking the plausible arms.
 *
 * Why not UCB1 or Thompson sampling: both explore as much as their
 * uncertainty asks, with no cap on the share of jobs that explore (UCB1 tries
 * every arm first, and with noisy throughput keeps exploring for long), and
 * neither can be held to "at most 5 % of jobs" without becoming this. A NAS
 * administrator needs a bound they can state; ε-greedy gives it exactly, and
 * the confidence pruning keeps most of UCB's economy.
 */

/**
 * The zstd levels chosen among (a class's default is added): a coarse grid
 * learns faster than every level (adjacent levels differ by a few percent),
 * and level 9 caps the worst case: about 4× the time of level 3 for one job.
 */
export const DEFAULT_ARMS: ReadonlyArray<number> = [1, 2, 3, 5, 7, 9]
/** Classes learned at most: a new class beyond this is answered with its default and not learned. */
export const MAX_CLASSES = 32
/** An arm is trusted as the best only after this many outcomes. */
export const MIN_PULLS = 3
/** Pulls per arm the exploration aims at before ε starts to decay. */
export const WARM_PULLS = 5
/** ε never falls below this share of `share`: learning goes on, slowly. */
export const FLOOR = 0.2
/** Past this many pulls an arm's mean weighs the newest outcome 1/CAP. */
export const CAP = 500
/** Outcomes of smaller jobs are not learned from: fixed costs and timer grain swamp them. */
export const MIN_BYTES = 1024 * 1024
/** Rewards are clamped to this range (log2 units): a bogus timing cannot wreck a mean. */
export const REWARD_RANGE = { low: -20, high: 40 } as const
/** The spread assumed for an arm with fewer than two outcomes (log2 units). */
const PRIOR_SD = 0.5
/** Confidence bounds: mean ± Z · sd / √n. */
const Z = 2

export interface Arm {
  readonly level: number
  readonly pulls: number
  /** Mean reward (log2 of MiB/s × ratio; see `reward`). */
  readonly mean: number
  /** Variance of the reward, as weighted as the mean. */
  readonly variance: number
}

export interface ClassState {
  readonly name: string
  /** TENSOR's fixed level for the class, as it last said. */
  readonly defaultLevel: number
  /** Choices made for the class, and how many of them explored. */
  readonly decisions: number
  readonly explored: number
  /** Outcomes learned from, and outcomes heard but not learned from (too small, level outside the arms). */
  readonly outcomes: number
  readonly ignored: number
  readonly arms: ReadonlyArray<Arm>
  readonly updatedAt: number
}

export interface BanditSettings {
  /** Off: every choice is the default; outcomes are still recorded. */
  readonly on: boolean
  /** The most that may explore, as a share of decisions (0–0.5). */
  readonly share: number
  readonly arms: ReadonlyArray<number>
}

export interface Choice {
  readonly level: number
  readonly explored: boolean
  /** For people: why this level. */
  readonly why: string
}

/** The reward of one job: log2(MiB/s × ratio), or undefined when the measurement is unusable. */
export const reward = (bytesIn: number, bytesOut: number, seconds: number): number | undefined => {
  if (!(bytesIn > 0 && bytesOut > 0 && Number.isFinite(seconds))) return undefined
  const throughput = bytesIn / Math.max(seconds, 1e-3) / (1024 * 1024)
  const value = Math.log2(throughput) + Math.log2(bytesIn / bytesOut)
  return Math.min(REWARD_RANGE.high, Math.max(REWARD_RANGE.low, value))
}

export const emptyClass = (name: string, defaultLevel: number, arms: ReadonlyArray<number>, now: number): ClassState => ({
  name,
  defaultLevel,
  decisions: 0,
  explored: 0,
  outcomes: 0,
  ignored: 0,
  arms: armLevels(arms, defaultLevel).map((level) => ({ level, pulls: 0, mean: 0, variance: 0 })),
  updatedAt: now
})

/** The arm levels of a class: the configured ones and its default, sorted. */
const armLevels = (arms: ReadonlyArray<number>, defaultLevel: number): ReadonlyArray<number> =>
  [...new Set([...arms, defaultLevel])].sort((a, b) => a - b)

/** The class's arms for `settings`: arms no longer configured are kept (what was learned stays) but never chosen. */
const withArms = (state: ClassState, settings: BanditSettings): ClassState => {
  const wanted = armLevels(settings.arms, state.defaultLevel)
  const missing = wanted.filter((level) => !state.arms.some((arm) => arm.level === level))
  if (missing.length === 0) return state
  return {
    ...state,
    arms: [...state.arms, ...missing.map((level) => ({ level, pulls: 0, mean: 0, variance: 0 }))].sort((a, b) => a.level - b.level)
  }
}

const allowed = (state: ClassState, settings: BanditSettings): ReadonlyArray<Arm> => {
  const levels = armLevels(settings.arms, state.defaultLevel)
  return state.arms.filter((arm) => levels.includes(arm.level))
}

const sd = (arm: Arm) => arm.pulls < 2 ? PRIOR_SD : Math.max(Math.sqrt(arm.variance), 0.05)
const upper = (arm: Arm) => arm.pulls === 0 ? Infinity : arm.mean + Z * sd(arm) / Math.sqrt(arm.pulls)
const lower = (arm: Arm) => arm.pulls === 0 ? -Infinity : arm.mean - Z * sd(arm) / Math.sqrt(arm.pulls)

/** The arm trusted as best: the best mean among arms with MIN_PULLS outcomes, or undefined. */
export const bestArm = (arms: ReadonlyArray<Arm>): Arm | undefined =>
  arms.filter((arm) => arm.pulls >= MIN_PULLS).reduce<Arm | undefined>((best, arm) => best === undefined || arm.mean > best.mean ? arm : best, undefined)

/** ε for the class's next decision (before the budget check). */
export const epsilon = (state: ClassState, settings: BanditSettings): number => {
  if (!settings.on || settings.share <= 0) return 0
  const t0 = (allowed(state, settings).length * WARM_PULLS) / settings.share
  return settings.share * Math.max(FLOOR, Math.min(1, Math.sqrt(t0 / Math.max(1, state.decisions + 1))))
}

/**
 * The level for the class's next job. `random` gives numbers in [0, 1);
 * `measurable`: the job is large enough for its outcome to be learned (a
 * small one never explores). Returns the updated class and the choice.
 */
export const choose = (
  current: ClassState,
  settings: BanditSettings,
  random: () => number,
  measurable: boolean
): { readonly state: ClassState; readonly choice: Choice } => {
  const state = withArms(current, settings)
  const arms = allowed(state, settings)
  const best = bestArm(arms)
  const exploit: Choice = best === undefined
    ? { level: state.defaultLevel, explored: false, why: `default level ${state.defaultLevel}: no level tried ${MIN_PULLS} times yet` }
    : { level: best.level, explored: false, why: `best level so far: ${best.level} (mean reward ${best.mean.toFixed(2)} over ${best.pulls} jobs)` }
  const decided = (choice: Choice): { state: ClassState; choice: Choice } => ({
    state: { ...state, decisions: state.decisions + 1, explored: state.explored + (choice.explored ? 1 : 0) },
    choice
  })
  if (!settings.on) return decided({ level: state.defaultLevel, explored: false, why: `tuning is off: default level ${state.defaultLevel}` })
  if (!measurable) return decided({ ...exploit, why: `${exploit.why}; too small to explore on` })
  // The budget: exploring now must leave explored/decisions ≤ share.
  const withinBudget = state.explored + 1 <= settings.share * (state.decisions + 1)
  if (!withinBudget || random() >= epsilon(state, settings)) return decided(exploit)
  const leader = best ?? arms.find((arm) => arm.level === state.defaultLevel)!
  const floor = lower(leader)
  const candidates = arms.filter((arm) => arm.level !== exploit.level && upper(arm) >= floor)
  if (candidates.length === 0) return decided({ ...exploit, why: `${exploit.why}; every other level is known to be worse` })
  const pick = explorationPick(candidates, exploit.level)
  return decided({ level: pick.level, explored: true, why: `exploring level ${pick.level} (${pick.pulls} jobs so far; it may still be better than ${exploit.level})` })
}

/**
 * Which plausible arm to explore: while some have fewer than MIN_PULLS
 * outcomes, the least tried, nearest the level in use (the reward is smooth
 * in the level, so neighbours are likeliest to beat it); then the one with
 * the highest upper confidence bound (UCB's optimism, within the budget).
 */
const explorationPick = (candidates: ReadonlyArray<Arm>, current: number): Arm => {
  const young = candidates.filter((arm) => arm.pulls < MIN_PULLS)
  if (young.length > 0) {
    return young.reduce((pick, arm) =>
      arm.pulls < pick.pulls || (arm.pulls === pick.pulls && Math.abs(arm.level - current) < Math.abs(pick.level - current)) ? arm : pick)
  }
  return candidates.reduce((pick, arm) => upper(arm) > upper(pick) ? arm : pick)
}

/** Learns one outcome; an unusable one (too small, unmeasurable, a level the class has no arm for) is counted as ignored. */
export const observe = (
  state: ClassState,
  outcome: { readonly level: number; readonly bytesIn: number; readonly bytesOut: number; readonly seconds: number },
  now: number
): { readonly state: ClassState; readonly learned: boolean; readonly reward: number | undefined; readonly why?: string } => {
  const value = reward(outcome.bytesIn, outcome.bytesOut, outcome.seconds)
  const ignore = (why: string) => ({ state: { ...state, ignored: state.ignored + 1, updatedAt: now }, learned: false, reward: value, why })
  if (value === undefined) return ignore("unmeasurable (no bytes or no time)")
  if (outcome.bytesIn < MIN_BYTES) return ignore(`smaller than ${MIN_BYTES} bytes: too small to time`)
  const index = state.arms.findIndex((arm) => arm.level === outcome.level)
  if (index === -1) return ignore(`level ${outcome.level} is not one of the class's levels`)
  const arm = state.arms[index]!
  const pulls = arm.pulls + 1
  const weight = 1 / Math.min(pulls, CAP)
  const delta = value - arm.mean
  const mean = arm.mean + weight * delta
  // West's weighted incremental variance: exact for weight 1/n, exponentially weighted past CAP.
  const variance = pulls === 1 ? 0 : (1 - weight) * (arm.variance + weight * delta * delta)
  const arms = state.arms.map((a, i) => i === index ? { level: a.level, pulls, mean, variance } : a)
  return { state: { ...state, arms, outcomes: state.outcomes + 1, updatedAt: now }, learned: true, reward: value }
}
