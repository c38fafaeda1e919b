/**
 * NEURAL's level bandit against simulated workloads whose best levels are
 * known (test/support/tuningEnv.ts): it converges, its exploration never
 * passes the configured share at any point, it never leaves the allowed
 * levels, and off means the default every time.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import { bestArm, choose, DEFAULT_ARMS, emptyClass, observe, reward } from "../../src/actors/neural/bandit.ts"
import { bestLevel, CLASSES, type ClassModel, expectedReward, runBandit } from "../support/tuningEnv.ts"

const on = (share: number, arms: ReadonlyArray<number> = DEFAULT_ARMS) => ({ on: true, share, arms })

/** Two classes whose best level stands out (by 30 % or more of MiB/s × ratio). */
const clearCut: ReadonlyArray<ClassModel> = [
  { name: "fast", defaultLevel: 5, weight: 1, throughput: [600, 500, 300, 250, 150, 120, 100, 90, 80], ratio: [3, 3.1, 3.2, 3.3, 3.4, 3.5, 3.6, 3.7, 3.8] },
  { name: "dense", defaultLevel: 3, weight: 1, throughput: [500, 450, 400, 350, 300, 200, 150, 120, 100], ratio: [2, 2.2, 2.4, 4, 6, 6.1, 6.2, 6.3, 6.4] }
]

describe("NEURAL's level bandit", () => {
  it("the reward is log2(MiB/s × ratio), clamped, and undefined when unmeasurable", () => {
    // 64 MiB in 0.5 s (128 MiB/s) to 16 MiB (ratio 4): log2(512) = 9.
    assert.strictEqual(reward(64 * 2 ** 20, 16 * 2 ** 20, 0.5), 9)
    assert.isUndefined(reward(0, 1, 1))
    assert.isUndefined(reward(1, 0, 1))
    assert.isUndefined(reward(1, 1, Number.NaN))
    assert.strictEqual(reward(2 ** 40, 1, 0), 40)
  })

  it("finds the clearly best level of each class and then uses it", () => {
    for (const seed of [1, 2, 3]) {
      const run = runBandit(on(0.1), 6000, seed, clearCut)
      for (const model of clearCut) {
        const state = run.states.get(model.name)!
        assert.strictEqual(bestArm(state.arms)?.level, bestLevel(model, DEFAULT_ARMS), `${model.name}, seed ${seed}`)
      }
      // Most of the regret is paid early: the last thousand jobs lose far less per job than the default would.
      assert.isBelow(run.regret / run.jobs, run.defaultRegret / run.jobs / 3, `seed ${seed}`)
    }
  })

  it("on the realistic workload it ends within 5 % of the best MiB/s × ratio, far better than the fixed defaults", () => {
    const run = runBandit(on(0.05), 20_000, 7)
    for (const model of CLASSES) {
      const learned = bestArm(run.states.get(model.name)!.arms)!.level
      const loss = expectedReward(model, bestLevel(model, DEFAULT_ARMS)) - expectedReward(model, learned)
      assert.isBelow(loss, Math.log2(1.05), `${model.name}: learned ${learned}`)
    }
    assert.isBelow(run.regret, run.defaultRegret / 4)
  })

  it("property: exploration never passes its share, at any prefix, and never leaves the allowed levels", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.uniqueArray(fc.integer({ min: 1, max: 19 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 1500 }),
        (seed, share, arms, jobs) => {
          const run = runBandit(on(share, arms), jobs, seed)
          assert.isAtMost(run.worstShare, share + 1e-12)
          const allowed = new Set([...arms, ...CLASSES.map((c) => c.defaultLevel)])
          for (const level of run.levels) assert.isTrue(allowed.has(level), `level ${level}`)
        }
      ),
      { numRuns: 60 }
    )
  })

  it("off: every job gets the class's default, nothing explores, and outcomes are still recorded", () => {
    const run = runBandit({ on: false, share: 0.2, arms: DEFAULT_ARMS }, 2000, 5)
    assert.strictEqual(run.explored, 0)
    for (const model of CLASSES) {
      const state = run.states.get(model.name)!
      assert.strictEqual(state.explored, 0)
      assert.isAbove(state.outcomes, 0)
      assert.deepStrictEqual(state.arms.filter((arm) => arm.pulls > 0).map((arm) => arm.level), [model.defaultLevel])
    }
    assert.strictEqual(run.regret, run.defaultRegret)
  })

  it("a small job never explores, and a small outcome is counted but not learned", () => {
    let state = emptyClass("log", 5, DEFAULT_ARMS, 0)
    for (let i = 0; i < 200; i++) {
      const { choice, state: next } = choose(state, on(0.5), () => 0, false)
      assert.isFalse(choice.explored)
      state = next
    }
    const small = observe(state, { level: 5, bytesIn: 1000, bytesOut: 100, seconds: 0.001 }, 1)
    assert.isFalse(small.learned)
    assert.strictEqual(small.state.ignored, 1)
    const outside = observe(state, { level: 4, bytesIn: 2 ** 24, bytesOut: 2 ** 20, seconds: 0.1 }, 1)
    assert.isFalse(outside.learned)
  })

  it("a level shown to be worse is no longer explored", () => {
    // Level 5 is trusted and far better than all others, which have been tried enough: nothing is plausible.
    const arms = DEFAULT_ARMS.map((level) => ({ level, pulls: 50, mean: level === 5 ? 12 : 8, variance: 0.01 }))
    const state = { ...emptyClass("log", 5, DEFAULT_ARMS, 0), arms, decisions: 300 }
    const { choice } = choose(state, on(0.5), () => 0, true)
    assert.strictEqual(choice.level, 5)
    assert.isFalse(choice.explored)
    assert.include(choice.why, "known to be worse")
  })
})
